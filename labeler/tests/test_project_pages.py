import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from labeler.models import Membership, Project
from labeler.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LEAD_PAGES = ["project_settings", "project_members"]


def test_a_member_sees_the_project_overview(trainer_client, project):
    response = trainer_client.get(reverse("project_detail", args=[project.slug]))
    assert response.status_code == 200
    assert project.name in response.text


@pytest.mark.parametrize("name", ["project_detail", *LEAD_PAGES])
def test_a_user_of_another_project_gets_404(outsider_client, project, name):
    assert outsider_client.get(reverse(name, args=[project.slug])).status_code == 404


@pytest.mark.parametrize("name", LEAD_PAGES)
def test_a_trainer_gets_404_on_lead_pages(trainer_client, project, name):
    assert trainer_client.get(reverse(name, args=[project.slug])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, project):
    response = client.get(reverse("project_detail", args=[project.slug]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_lead_creates_a_project_with_the_default_flags(client):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_project"))
    client.force_login(user)
    form = client.get(reverse("project_create"))
    assert "fails_task: Fails the task" in form.text

    response = client.post(
        reverse("project_create"),
        {
            "name": "Helpful chat",
            "kind": "comparison",
            "guidelines": "Be *kind*.",
            "k": 4,
            "overlap": 3,
            "ties_allowed": "on",
            "lease_minutes": 30,
            "flags": form.context["form"]["flags"].initial,
        },
    )

    project = Project.objects.get()
    assert response.status_code == 302
    assert project.slug == "helpful-chat"
    assert "personal_data" in project.flag_keys
    assert Membership.objects.get(project=project).user == user


def test_creating_a_project_needs_the_permission(client):
    client.force_login(UserFactory())
    assert client.get(reverse("project_create")).status_code == 403


def test_it_refuses_k_outside_2_to_9_with_a_clear_message(lead_client, project):
    data = {"name": project.name, "kind": "comparison", "k": 12, "overlap": 2, "lease_minutes": 10, "flags": "a: A"}
    response = lead_client.post(reverse("project_settings", args=[project.slug]), data)
    assert response.status_code == 200
    assert "less than or equal to 9" in response.text
    project.refresh_from_db()
    assert project.k == 4


def test_a_lead_edits_the_settings_and_the_flag_taxonomy(lead_client, project):
    data = {
        "name": "Renamed",
        "kind": "comparison",
        "k": 3,
        "overlap": 2,
        "lease_minutes": 15,
        "flags": "unsafe: Unsafe\nwrong: Factually wrong",
    }
    response = lead_client.post(reverse("project_settings", args=[project.slug]), data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.k, project.lease_minutes) == ("Renamed", 3, 15)
    assert project.flag_taxonomy == [
        {"key": "unsafe", "label": "Unsafe"},
        {"key": "wrong", "label": "Factually wrong"},
    ]


def test_it_names_the_line_of_a_malformed_flag(lead_client, project):
    data = {"name": "x", "kind": "comparison", "k": 3, "overlap": 2, "lease_minutes": 10, "flags": "ok: Fine\nNo Colon"}
    response = lead_client.post(reverse("project_settings", args=[project.slug]), data)
    assert "Flag line 2" in response.text


def test_a_lead_adds_a_trainer_and_cannot_remove_the_last_lead(lead_client, lead, project):
    newcomer = UserFactory(username="newcomer")
    lead_client.post(reverse("project_members", args=[project.slug]), {"username": "newcomer", "role": "trainer"})
    assert Membership.objects.get(project=project, user=newcomer).role == "trainer"

    own = Membership.objects.get(project=project, user=lead)
    response = lead_client.post(reverse("project_member_remove", args=[project.slug, own.id]), follow=True)
    assert "at least one lead" in response.text
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_lead_cannot_remove_a_member_of_another_project(lead_client, project):
    stranger = MembershipFactory()
    lead_client.post(reverse("project_member_remove", args=[project.slug, stranger.id]))
    assert Membership.objects.filter(pk=stranger.pk).exists()


def test_guidelines_markdown_is_sanitised(trainer_client, project):
    project.guidelines = "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    project.save(update_fields=["guidelines"])
    response = trainer_client.get(reverse("project_detail", args=[project.slug]))
    assert "<strong>Bold</strong>" in response.text
    assert "<script>alert(1)" not in response.text
    assert 'href="javascript' not in response.text
