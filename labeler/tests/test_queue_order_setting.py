"""A lead picks the project's queue order on its settings page."""

import pytest
from django.urls import reverse

from labeler.models import Project
from labeler.tests.browser import login

pytestmark = pytest.mark.django_db


def settings_of(project, **changes) -> dict:
    data = {"name": project.name, "kind": project.kind, "k": project.k, "overlap": project.overlap}
    return {**data, "lease_minutes": project.lease_minutes, "flags": "unsafe: Unsafe", **changes}


def test_a_lead_sees_the_queue_order_and_sets_it(lead_client, project):
    page = lead_client.get(reverse("project_settings", args=[project.slug])).text
    assert 'name="queue_order"' in page
    assert "Most informative first" in page

    response = lead_client.post(
        reverse("project_settings", args=[project.slug]), settings_of(project, queue_order="informative")
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.queue_order == Project.QueueOrder.INFORMATIVE


def test_a_form_without_the_queue_order_keeps_it(lead_client, project):
    project.queue_order = Project.QueueOrder.INFORMATIVE
    project.save(update_fields=["queue_order"])
    lead_client.post(reverse("project_settings", args=[project.slug]), settings_of(project))
    project.refresh_from_db()
    assert project.queue_order == Project.QueueOrder.INFORMATIVE


def test_it_refuses_an_unknown_order(lead_client, project):
    response = lead_client.post(
        reverse("project_settings", args=[project.slug]), settings_of(project, queue_order="random")
    )
    assert "not one of the available choices" in response.text
    project.refresh_from_db()
    assert project.queue_order == Project.QueueOrder.OLDEST


def test_a_trainer_cannot_change_it(trainer_client, project):
    url = reverse("project_settings", args=[project.slug])
    assert trainer_client.post(url, settings_of(project, queue_order="informative")).status_code == 404
    project.refresh_from_db()
    assert project.queue_order == Project.QueueOrder.OLDEST


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_lead_switches_the_queue_order_in_the_browser(page, live_server, project, lead):
    login(page, live_server, lead)
    page.goto(live_server.url + reverse("project_settings", args=[project.slug]))
    page.select_option("select[name=queue_order]", label="Most informative first")
    with page.expect_navigation():
        page.click("button:has-text('Save settings')")
    assert page.locator("text=Settings saved.").count() == 1
    assert page.locator("select[name=queue_order]").input_value() == "informative"
    project.refresh_from_db()
    assert project.queue_order == Project.QueueOrder.INFORMATIVE
