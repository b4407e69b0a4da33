"""A lead sets the project's skip reasons on the settings page; trainers pick from them."""

import pytest
from django.urls import reverse

from labeler.models import DEFAULT_SKIP_REASONS, Project
from rankings.tests.factories import ready_comparisons

pytestmark = pytest.mark.django_db

SETTINGS = {"kind": "comparison", "k": 4, "overlap": 2, "lease_minutes": 30, "flags": "other: Other"}


def test_a_new_project_starts_with_the_usual_reasons(project):
    assert Project.objects.get(id=project.id).skip_reasons == DEFAULT_SKIP_REASONS


def test_a_lead_sets_the_skip_reasons_and_trainers_are_offered_them(lead_client, client, project, trainer):
    form = lead_client.get(reverse("project_settings", args=[project.slug])).text
    assert "I can&#x27;t judge this topic\nThe prompt is unsafe" in form
    data = {**SETTINGS, "name": project.name, "skip_reason_lines": " Needs a doctor \n\nNeeds a lawyer\nNeeds a doctor"}
    assert lead_client.post(reverse("project_settings", args=[project.slug]), data).status_code == 302
    project.refresh_from_db()
    assert project.skip_reasons == ["Needs a doctor", "Needs a lawyer"]

    ready_comparisons(project, 1)
    client.force_login(trainer)
    page = client.get(reverse("rank_next", args=[project.slug])).text
    assert "<option>Needs a doctor</option><option>Needs a lawyer</option>" in page
    assert "I can&#x27;t judge this topic" not in page


def test_left_empty_the_reasons_stay_as_they_were(lead_client, project):
    project.skip_reasons = ["Off topic"]
    project.save(update_fields=["skip_reasons"])
    data = {**SETTINGS, "name": project.name, "skip_reason_lines": "  \n"}
    assert lead_client.post(reverse("project_settings", args=[project.slug]), data).status_code == 302
    project.refresh_from_db()
    assert project.skip_reasons == ["Off topic"]


def test_a_reason_longer_than_a_skip_can_store_is_refused_by_name(lead_client, project):
    data = {**SETTINGS, "name": project.name, "skip_reason_lines": "x" * 201}
    response = lead_client.post(reverse("project_settings", args=[project.slug]), data)
    assert response.status_code == 200
    assert "A skip reason has at most 200 characters" in response.text
    project.refresh_from_db()
    assert project.skip_reasons == DEFAULT_SKIP_REASONS
