"""In a real browser, with a real worker: "Recompute now" updates the open dashboard by itself."""

import pytest
from playwright.sync_api import expect

from labeler.tests.browser import login
from rankings.stats import project_stats_refresh
from rankings.tests.stats_data import comparison_with, rank, small_project, trainers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_new_rankings_after_recompute_now_without_a_reload(
    page, live_server, celery_worker, project, lead
):
    small_project(project)
    project_stats_refresh(project_id=project.id)
    login(page, live_server, lead)
    page.goto(f"{live_server.url}/p/{project.slug}/dashboard/")
    assert "from 5 rankings" in page.inner_text("#computed-at")

    people = trainers(project, 3, prefix="late")
    comparison = comparison_with(project, ["one", "two!", "three!!"])
    for person in people:
        rank(comparison, person, [[0], [1], [2]])
    # Submitted, but the page still shows the figures it was rendered with.
    assert "from 5 rankings" in page.inner_text("#computed-at")

    page.click("text=Recompute now")
    page.wait_for_selector("text=this page updates itself when the figures are ready")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    expect(page.locator("#computed-at")).to_contain_text("from 8 rankings", timeout=60_000)
    assert navigations, "htmx reloaded the page once the worker had stored the figures"
    assert "8" in page.inner_text(".grid .card .stat >> nth=0")
