"""In a real browser: a lead narrows the comparisons by text and filters, opens one, and exports the rest."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labeler.tests.browser import login
from rankings.tests.browse_data import browse_corpus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def rows(page) -> list[str]:
    return page.locator("table.browse-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.comparison)")


def test_a_lead_filters_the_comparisons_opens_one_and_exports_the_rest(page, live_server, project, lead, artifacts):
    corpus = browse_corpus(project)
    login(page, live_server, lead)
    page.goto(f"{live_server.url}/p/{project.slug}/")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Comparisons").click()
    expect(page.locator("[data-stat=matching]")).to_have_text("4 comparisons")

    page.get_by_label("Text").fill("sea")
    page.get_by_label("Flag").select_option(label="Untruthful / hallucination")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-stat=matching]")).to_have_text("1 comparison")
    assert rows(page) == [str(corpus.poem.id)]
    assert "q=sea" in page.url and "flag=untruthful" in page.url
    page.screenshot(path=artifacts / "browse-list.png", full_page=True)

    page.get_by_role("link", name=str(corpus.poem.id), exact=True).click()
    expect(page.locator("h2")).to_contain_text(f"Comparison {corpus.poem.id}")
    expect(page.locator("table.browse-rankings")).to_contain_text("B > A")
    expect(page.locator("table.browse-rankings")).to_contain_text("Untruthful / hallucination")
    page.screenshot(path=artifacts / "browse-comparison.png", full_page=True)
    page.get_by_role("link", name="← Comparisons").click()
    expect(page.get_by_label("Text")).to_have_value("sea")  # back to the same filters

    page.get_by_role("link", name="Export these").click()
    expect(page.get_by_label("Browser filter")).to_have_value("q=sea&flag=untruthful")

    page.goto(f"{live_server.url}/p/{project.slug}/comparisons/")
    page.get_by_label("Agreement").select_option("high")
    page.get_by_label("Status").select_option("complete")
    page.get_by_label("Ranked by").select_option(label=corpus.trainers[0].username)
    page.get_by_role("button", name="Filter").click()
    assert rows(page) == [str(corpus.refund.id)]

    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_label("Endpoint").select_option(label="alpha")
    page.get_by_label("Created to").fill((timezone.now() - timedelta(days=20)).date().isoformat())
    page.get_by_role("button", name="Filter").click()
    assert rows(page) == [str(corpus.photosynthesis.id)]
