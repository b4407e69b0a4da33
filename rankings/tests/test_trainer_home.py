"""The home page: each of the user's projects with what waits for them and what they ranked today."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from labeler.models import Membership
from labeler.tests.factories import MembershipFactory, ProjectFactory
from rankings.tests.factories import lease, ready_comparisons, submit
from rankings.views import ranking

pytestmark = pytest.mark.django_db


def test_a_trainer_sees_what_waits_and_a_start_button(trainer_client, project):
    ready_comparisons(project, 3)
    response = trainer_client.get(reverse("home"))
    [row] = response.context["projects"]
    assert (row.role_label, row.waiting, row.ranked_today) == ("Trainer", 3, 0)
    assert reverse("rank_next", args=[project.slug]) in response.text
    assert reverse("project_detail", args=[project.slug]) in response.text
    assert "Start ranking" in response.text


def test_what_the_trainer_ranked_today_is_counted(trainer_client, trainer, project):
    ready_comparisons(project, 3)
    assignment = lease(project, trainer)
    submit(assignment, trainer=trainer, tiers=[[c] for c in reversed(assignment.display_order)])
    [row] = trainer_client.get(reverse("home")).context["projects"]
    assert (row.waiting, row.ranked_today) == (2, 1)


def test_a_finished_queue_has_no_start_button(trainer_client, project):
    response = trainer_client.get(reverse("home"))
    assert "Nothing waits for you here right now." in response.text
    assert reverse("rank_next", args=[project.slug]) not in response.text


def test_a_lead_sees_the_project_page_and_new_project_link_but_no_queue(client, lead, project):
    lead.user_permissions.add(Permission.objects.get(codename="add_project"))
    ready_comparisons(project, 2)
    client.force_login(lead)
    response = client.get(reverse("home"))
    assert reverse("project_detail", args=[project.slug]) in response.text
    assert reverse("project_create") in response.text
    assert reverse("rank_next", args=[project.slug]) not in response.text


def test_someone_who_may_not_create_projects_sees_no_new_project_link(trainer_client):
    assert reverse("project_create") not in trainer_client.get(reverse("home")).text


def test_it_lists_only_the_users_own_projects(trainer_client, trainer, project):
    MembershipFactory(project=ProjectFactory(name="Someone else's"), role=Membership.Role.TRAINER)
    mine = MembershipFactory(user=trainer, project=ProjectFactory(name="Also mine"), role=Membership.Role.LEAD)
    response = trainer_client.get(reverse("home"))
    assert [p.name for p in response.context["projects"]] == sorted([project.name, mine.project.name])
    assert "Someone else" not in response.text


def test_the_home_page_needs_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_home_page_stops_counting_at_its_cap(trainer_client, project, monkeypatch):
    monkeypatch.setattr(ranking, "WAITING_SHOWN", 2)
    ready_comparisons(project, 3)
    response = trainer_client.get(reverse("home"))
    assert response.context["projects"][0].waiting == 2
    assert 'data-stat="waiting">2+</div>' in response.text


def test_the_home_page_lists_only_the_users_projects(outsider_client, project):
    assert project.name not in outsider_client.get(reverse("home")).text
