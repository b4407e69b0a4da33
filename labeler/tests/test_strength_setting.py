"""The project option to collect preference strength, and the margins a lead gives its three words."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from labeler.forms import ProjectForm
from labeler.models import Project
from labeler.strength import strength_margins_parse
from labeler.tests.factories import UserFactory
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db

SETTINGS = {"name": "Strength", "kind": "comparison", "k": 4, "overlap": 3, "lease_minutes": 30, "flags": "a: A"}


def test_a_new_project_does_not_collect_strength_and_has_margins_one_two_three(client):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_project"))
    client.force_login(user)
    response = client.post(reverse("project_create"), SETTINGS)
    assert response.status_code == 302
    project = Project.objects.get(name="Strength")
    assert project.collect_strength is False
    assert project.strength_margin_of == {"slightly": 1.0, "clearly": 2.0, "much": 3.0}


def test_a_lead_turns_strength_on_and_sets_the_margins_on_the_settings_page(lead_client, project):
    url = reverse("project_settings", args=[project.slug])
    page = lead_client.get(url).content.decode()
    assert "Collect preference strength" in page and 'value="1, 2, 3"' in page
    data = SETTINGS | {"collect_strength": "on", "strength_margin_line": "0.5, 1, 4"}
    assert lead_client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert project.collect_strength is True
    assert project.strength_margins == [0.5, 1.0, 4.0]
    lead_client.post(url, SETTINGS)  # a form that leaves the margins out keeps them
    project.refresh_from_db()
    assert (project.collect_strength, project.strength_margins) == (False, [0.5, 1.0, 4.0])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1, 2", "Give 3 numbers separated by commas"),
        ("1, 2, 3, 4", "Give 3 numbers separated by commas"),
        ("1, two, 3", "The margin of 'clearly' is not a number: 'two'"),
        ("0, 1, 2", "The margin of 'slightly' must be a positive number"),
        ("1, -2, 3", "The margin of 'clearly' must be a positive number"),
        ("1, 3, 2", "The margin of 'much' must be larger than that of 'clearly'"),
        ("1, 1, 2", "The margin of 'clearly' must be larger than that of 'slightly'"),
        ("1, 2, inf", "The margin of 'much' must be a positive number"),
    ],
)
def test_margins_must_be_three_increasing_positive_numbers(project, text, error):
    with pytest.raises(RankLabError, match=error):
        strength_margins_parse(text)
    form = ProjectForm(SETTINGS | {"collect_strength": "on", "strength_margin_line": text}, instance=project)
    assert not form.is_valid()
    assert error in form.errors["strength_margin_line"][0]


def test_a_user_of_another_project_gets_404_on_its_settings(outsider_client, project):
    url = reverse("project_settings", args=[project.slug])
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, SETTINGS | {"collect_strength": "on"}).status_code == 404
    project.refresh_from_db()
    assert project.collect_strength is False
