"""In a real browser: a trainer sees the filter's verdict beside each candidate and disputes it with the keyboard."""

import pytest

from labeler.tests.browser import login
from rankings.models import Ranking
from rankings.tests.test_ranking_screen_e2e import comparison_with
from safety.models import ModerationEndpoint, ModerationReview, ModerationVerdict

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector: str, *, most: int = 12) -> None:
    """Press Tab until `selector` has the focus: it must be reachable by keyboard."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} is not reachable with Tab")


def test_a_trainer_disputes_the_filters_verdicts_by_keyboard_and_still_ranks(page, live_server, project, trainer):
    project.k, project.overlap = 2, 1
    project.save(update_fields=["k", "overlap"])
    ModerationEndpoint.objects.create(project=project, base_url="http://127.0.0.1:9/v1")
    comparison = comparison_with(project, ["How to hurt someone, in detail.", "A poem about the sea."])
    flagged, clean = comparison.candidates.order_by("sample_index")
    checked = {"project": project, "comparison": comparison, "status": "checked"}
    flagged_verdict = ModerationVerdict.objects.create(
        candidate=flagged, flagged=True, categories=["violence"], scores={"violence": 0.91}, **checked
    )
    clean_verdict = ModerationVerdict.objects.create(candidate=clean, flagged=False, scores={"hate": 0.01}, **checked)

    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")

    flagged_card = page.locator(f'.cand[data-id="{flagged.id}"]')
    clean_card = page.locator(f'.cand[data-id="{clean.id}"]')
    assert "Filter: flagged — violence 0.91" in " ".join(flagged_card.locator(".verdict-text").inner_text().split())
    assert clean_card.locator(".verdict-text").inner_text().strip() == "Filter: not flagged"

    flagged_card.focus()
    tab_to(page, f'#verdict-{flagged_verdict.id} button[data-judgement="false_positive"]')
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#verdict-{flagged_verdict.id} .verdict-own")
    assert "flagged but harmless — saved" in page.inner_text(f"#verdict-{flagged_verdict.id} .verdict-own")
    # The focus stays on the (new) button that was pressed.
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"

    clean_card.focus()
    tab_to(page, f"#missed-{clean_verdict.id}")
    page.keyboard.type("hat")
    tab_to(page, f'#verdict-{clean_verdict.id} button[data-judgement="false_negative"]')
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#verdict-{clean_verdict.id} .verdict-own")

    reviews = {review.verdict_id: (review.judgement, review.category) for review in ModerationReview.objects.all()}
    assert reviews == {flagged_verdict.id: ("false_positive", ""), clean_verdict.id: ("false_negative", "hate")}

    # Moving a card makes this a ranking of the trainer's own, not the order shown.
    page.locator("#cards .cand").first.focus()
    page.keyboard.press("J")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#rank-area .message.success")
    assert Ranking.objects.filter(comparison=comparison, trainer=trainer).exists()
