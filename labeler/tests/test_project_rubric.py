"""A lead sets the project's rubric on the settings page: JSON checked as a whole, or HelpSteer2's in one tick."""

import json

import pytest
from django.urls import reverse

from labeler.rubric import HELPSTEER2_RUBRIC, rubric_parse
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db


def settings_data(project, **changes) -> dict:
    """The settings form as the page sends it, with `changes`."""
    data = {"name": project.name, "kind": "comparison", "k": 4, "overlap": 2, "lease_minutes": 10, "flags": "a: A"}
    return {**data, "rubric_json": "", **changes}


def test_the_lead_saves_a_rubric_as_json(lead_client, project):
    rubric = [
        {"key": "clarity", "label": "Clarity", "min": 1, "max": 5, "required": True, "guidance": "Easy to follow?"}
    ]
    response = lead_client.post(
        reverse("project_settings", args=[project.slug]), settings_data(project, rubric_json=json.dumps(rubric))
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.rubric == rubric


def test_one_tick_gives_helpsteer2s_five_attributes(lead_client, project):
    lead_client.post(reverse("project_settings", args=[project.slug]), settings_data(project, rubric_helpsteer2="on"))
    project.refresh_from_db()
    assert [attribute["key"] for attribute in project.rubric] == [
        "helpfulness", "correctness", "coherence", "complexity", "verbosity"
    ]  # fmt: skip
    assert all((attribute["min"], attribute["max"]) == (0, 4) for attribute in project.rubric)
    assert project.rubric == HELPSTEER2_RUBRIC


def test_a_mistake_is_shown_on_the_page_naming_the_attribute_and_field(lead_client, project):
    rubric = [{"key": "clarity", "min": 1, "max": 5}, {"key": "clarity", "min": 0, "max": 1}]
    response = lead_client.post(
        reverse("project_settings", args=[project.slug]), settings_data(project, rubric_json=json.dumps(rubric))
    )
    assert response.status_code == 200
    assert "Rubric attribute 2: the key &#x27;clarity&#x27; is used twice." in response.content.decode()
    project.refresh_from_db()
    assert project.rubric == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"key": "a", "min": 0, "max": 4,}]', "Rubric line 1, column"),
        ('{"key": "a"}', "must be a JSON list"),
        ('[{"key": "Bad Key", "min": 0, "max": 4}]', "Rubric attribute 1: the key 'Bad Key' must start"),
        ('[{"key": "a", "min": 4, "max": 4}]', "Rubric attribute 1 (a): max (4) must be above min (4)."),
        ('[{"key": "a", "min": 0.5, "max": 4}]', "Rubric attribute 1 (a): min must be a whole number."),
        ('[{"key": "a", "min": 0, "max": 40}]', "a scale has at most 11 values"),
        ('[{"key": "a", "min": 0, "max": 4, "required": "yes"}]', "required must be true or false"),
        ('[{"key": "a", "min": 0, "max": 4, "scale": 3}]', "unknown field 'scale'"),
    ],
)
def test_every_mistake_in_a_rubric_is_named(text, message):
    with pytest.raises(RankLabError) as error:
        rubric_parse(text)
    assert message in str(error.value)


def test_an_empty_rubric_is_no_rubric_and_a_form_without_the_field_keeps_the_project_s(lead_client, project):
    assert rubric_parse("  ") == []
    project.rubric = [dict(HELPSTEER2_RUBRIC[0])]
    project.save(update_fields=["rubric"])
    data = settings_data(project)
    del data["rubric_json"]
    lead_client.post(reverse("project_settings", args=[project.slug]), data)
    project.refresh_from_db()
    assert project.rubric == [HELPSTEER2_RUBRIC[0]]


def test_the_settings_page_is_a_404_to_another_projects_lead(outsider_client, project):
    assert outsider_client.get(reverse("project_settings", args=[project.slug])).status_code == 404
