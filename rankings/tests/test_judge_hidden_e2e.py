"""In a real browser: a trainer never sees the AI judge's ranking, before submitting or after."""

import pytest

from labeler.tests.browser import login
from rankings.models import Ranking
from rankings.tests.judge_data import MARKER, judge_of, judged
from rankings.tests.test_ranking_screen_e2e import comparison_with

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _shows_the_judge(page) -> bool:
    """Its reply, its model's name, or a label naming it anywhere on the page or in its markup."""
    text = page.content() + page.inner_text("body")
    return any(sign in text for sign in (MARKER, "judge-model", "AI judge", "judge_ranking"))


def test_the_judges_ranking_is_not_on_the_trainers_pages_before_or_after_they_submit(
    page, live_server, project, trainer
):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    judge_of(project)
    comparison = comparison_with(project, ["First answer.", "Second answer."])
    first, second = comparison.candidates.order_by("id").values_list("id", flat=True)
    judged(comparison, [[second], [first]])
    login(page, live_server, trainer)

    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    assert page.locator("#cards .cand", has_text="First answer.").is_visible()
    assert not _shows_the_judge(page)

    page.wait_for_selector("#cards .cand:focus")
    page.keyboard.press("Shift+ArrowDown")  # differ from the displayed order: no confirmation asked
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#rank-area .done")
    assert Ranking.objects.filter(trainer=trainer, comparison=comparison).exists()
    assert not _shows_the_judge(page)

    page.goto(f"{live_server.url}/p/{project.slug}/rankings/")
    page.wait_for_selector(".history-table")
    assert not _shows_the_judge(page)
