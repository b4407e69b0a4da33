"""Preference strength on the ranking screen in a real browser, by keyboard alone: the questions
follow the order and ties as they change, a choice belongs to its two tiers, and what is chosen is stored."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from labeler.tests.browser import login
from rankings.models import Ranking
from rankings.tests.test_ranking_screen_e2e import comparison_with, on_screen_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def legends(page) -> list[str]:
    return page.locator("#strengths legend").all_inner_texts()


def chosen(page) -> list[str | None]:
    return page.eval_on_selector_all(
        "#strengths fieldset",
        "groups => groups.map(g => { const c = g.querySelector('input:checked'); return c ? c.value : null; })",
    )


def announced(page, text):
    page.locator("#announcer", has_text=text).wait_for(state="attached")


@pytest.fixture
def strength_page(page, live_server, project, trainer):
    project.collect_strength, project.overlap = True, 1
    project.save(update_fields=["collect_strength", "overlap"])
    comparison_with(project, ["One.", "Two.", "Three."])
    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    return page


def test_a_trainer_sets_each_strength_by_keyboard_and_submits(strength_page, trainer, artifacts):
    page = strength_page
    a, b, c = on_screen_order(page)
    assert legends(page) == [
        "How much better is rank 1 (Candidate A) than rank 2 (Candidate B)?",
        "How much better is rank 2 (Candidate B) than rank 3 (Candidate C)?",
    ]

    page.keyboard.press("Shift+ArrowDown")  # A below B
    page.keyboard.press("t")  # and tied with it
    announced(page, "tied with")
    assert legends(page) == ["How much better is rank 1 (Candidates A and B) than rank 2 (Candidate C)?"]
    page.keyboard.press("t")  # untied again: B, A, C
    announced(page, "untied")
    assert legends(page) == [
        "How much better is rank 1 (Candidate B) than rank 2 (Candidate A)?",
        "How much better is rank 2 (Candidate A) than rank 3 (Candidate C)?",
    ]

    page.keyboard.press("s")  # the first pair not yet judged
    announced(page, "How much better is rank 1 (Candidate B)")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # slightly, then clearly
    announced(page, "Rank 1 (Candidate B) clearly better than rank 2 (Candidate A).")
    page.keyboard.press("Escape")  # back to the cards
    assert page.evaluate("document.activeElement.classList.contains('cand')")
    page.keyboard.press("s")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # clearly, then much
    announced(page, "Rank 2 (Candidate A) much better than rank 3 (Candidate C).")
    assert chosen(page) == ["clearly", "much"]

    # C moved up makes two new pairs, unanswered; moved back, the earlier pairs get their answers back.
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("Shift+ArrowUp")
    assert on_screen_order(page) == [b, c, a]
    assert chosen(page) == [None, None]
    page.keyboard.press("Shift+ArrowDown")
    assert on_screen_order(page) == [b, a, c]
    assert chosen(page) == ["clearly", "much"]

    page.screenshot(path=artifacts / "ranking-strength.png", full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()

    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#rank-area .message.success")
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[b], [a], [c]]
    assert ranking.strengths == ["clearly", "much"]


def test_a_missing_strength_comes_back_named_with_the_answers_given_kept(strength_page, trainer):
    page = strength_page
    a, b, c = on_screen_order(page)
    page.keyboard.press("Shift+ArrowDown")  # B, A, C: not the order shown
    page.keyboard.press("s")
    page.keyboard.press("Space")  # slightly, for B over A only
    page.keyboard.press("Control+Enter")
    alert = page.locator("#rank-area .message.error")
    alert.wait_for()
    assert "Say how much better rank 2 (Candidate A) is than rank 3 (Candidate C)" in alert.inner_text()
    page.wait_for_selector("#cards .cand:focus")
    assert on_screen_order(page) == [b, a, c]
    assert chosen(page) == ["slightly", None]
    assert not Ranking.objects.filter(trainer=trainer).exists()
