"""The dashboard keeps itself current: it polls a small status line that asks htmx to reload the
page once newer figures are stored."""

import pytest
from django.urls import reverse

from rankings.stats import project_stats_refresh
from rankings.tests.stats_data import small_project

pytestmark = pytest.mark.django_db


def status_url(project, shown: str | None = None) -> str:
    url = reverse("project_stats_status", args=[project.slug])
    return url if shown is None else f"{url}?shown={shown}"


def shown_version(html: str) -> str:
    return html.split('data-version="', 1)[1].split('"', 1)[0]


def test_the_dashboard_polls_its_status_line(lead_client, project):
    html = lead_client.get(reverse("project_dashboard", args=[project.slug])).text
    assert f'hx-get="{status_url(project, "")}"' in html
    assert 'hx-trigger="every 3s"' in html and 'hx-swap="outerHTML"' in html


def test_the_status_line_says_when_and_from_how_many_rankings(lead_client, project):
    small_project(project)
    project_stats_refresh(project_id=project.id)
    dashboard = lead_client.get(reverse("project_dashboard", args=[project.slug])).text
    version = shown_version(dashboard)
    response = lead_client.get(status_url(project, version), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "HX-Refresh" not in response.headers
    assert "Last computed" in response.text and "ago) from 5 rankings." in response.text
    assert "<h1>" not in response.text  # the partial alone
    assert shown_version(response.text) == version


def test_newer_figures_make_the_page_reload_itself(lead_client, project):
    small_project(project)
    project_stats_refresh(project_id=project.id)
    version = shown_version(lead_client.get(reverse("project_dashboard", args=[project.slug])).text)
    project_stats_refresh(project_id=project.id)
    response = lead_client.get(status_url(project, version), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true"


def test_the_first_figures_reload_a_page_that_had_none(lead_client, project):
    assert "HX-Refresh" not in lead_client.get(status_url(project, "")).headers
    small_project(project)
    project_stats_refresh(project_id=project.id)
    assert lead_client.get(status_url(project, "")).headers["HX-Refresh"] == "true"


def test_the_status_line_costs_a_few_queries_and_never_loads_the_figures(
    lead_client, project, django_assert_num_queries
):
    small_project(project)
    project_stats_refresh(project_id=project.id)
    # The user, the membership with its project, the stats row without its data.
    with django_assert_num_queries(3) as captured:
        assert lead_client.get(status_url(project, "x")).status_code == 200
    assert '"data"' not in captured.captured_queries[-1]["sql"]


def test_recompute_now_says_the_page_updates_itself(lead_client, project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = lead_client.post(reverse("project_stats_recompute", args=[project.slug]), follow=True)
    assert "this page updates itself when the figures are ready" in response.text


@pytest.mark.parametrize("who", ["trainer_client", "outsider_client"])
def test_trainers_and_other_projects_get_404_on_the_status_line(who, request, project):
    client = request.getfixturevalue(who)
    assert client.get(status_url(project, "")).status_code == 404
