"""The lead's moderation page: name the filter, test it, change it, switch it off."""

import pytest
from django.urls import reverse

from safety.models import ModerationEndpoint

pytestmark = pytest.mark.django_db


def url(project) -> str:
    return reverse("moderation_settings", args=[project.slug])


def test_a_lead_names_a_filter_and_the_project_nav_links_to_it(lead_client, project, moderation_server):
    response = lead_client.post(
        url(project), {"base_url": moderation_server.base_url, "model": "omni-moderation-latest",
                       "timeout_seconds": "5", "is_active": "on", "action": "save"},
    )  # fmt: skip

    assert response.status_code == 302
    endpoint = ModerationEndpoint.objects.get(project=project)
    assert (endpoint.base_url, endpoint.timeout_seconds, endpoint.is_active) == (moderation_server.base_url, 5, True)
    assert f'href="{url(project)}"' in lead_client.get(reverse("project_detail", args=[project.slug])).text


def test_a_lead_switches_the_filter_off(lead_client, project, moderation_server):
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url)

    lead_client.post(url(project), {"base_url": moderation_server.base_url, "model": "m", "timeout_seconds": "5"})

    assert ModerationEndpoint.objects.get(project=project).is_active is False
    assert "The filter is switched off" in lead_client.get(url(project)).text


def test_test_connection_asks_the_filter_and_saves_nothing(lead_client, project, moderation_server):
    data = {"base_url": moderation_server.base_url, "model": "m", "timeout_seconds": "5", "action": "test"}

    response = lead_client.post(url(project), data)

    assert "Connected" in response.text and "did not flag it" in response.text
    assert len(moderation_server.requests) == 1
    assert not ModerationEndpoint.objects.exists()
    moderation_server.down = True
    assert "HTTP 503 from the moderation endpoint." in lead_client.post(url(project), data).text


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("api_key_env", "my key", "ending in _API_KEY"),
        ("base_url", "http://169.254.169.254/v1", "169.254.169.254"),
        ("timeout_seconds", "0", "Between 1 and 120 seconds."),
    ],
)
def test_bad_settings_are_refused_naming_the_field(lead_client, project, moderation_server, field, value, error):
    data = {"base_url": moderation_server.base_url, "model": "m", "timeout_seconds": "5", field: value}

    response = lead_client.post(url(project), data)

    assert response.status_code == 200 and error in response.text
    assert not ModerationEndpoint.objects.exists()


def test_a_trainer_and_a_user_of_another_project_get_a_404(client, trainer, outsider, project):
    for user in (trainer, outsider):
        client.force_login(user)
        assert client.get(url(project)).status_code == 404
        assert client.post(url(project), {"action": "test"}).status_code == 404
