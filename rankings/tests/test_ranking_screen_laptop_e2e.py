"""The ranking screen on a 1366×768 laptop: four long candidates, the submit button on screen,
a card dragged at a person's pace from last to first lands first, and axe-core finds nothing."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from labeler.tests.browser import login
from rankings.models import Ranking
from rankings.tests.test_ranking_screen_e2e import comparison_with, on_screen_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


def long_answer(name: str) -> str:
    return f"Answer {name}.\n\n" + "\n\n".join(
        f"Paragraph {n} of answer {name}, long enough to wrap." for n in range(30)
    )


@pytest.fixture
def laptop(browser, live_server, project, trainer):
    project.overlap = 1
    project.guidelines = "# Guidelines\n\nPrefer **correct** answers, then concise ones."
    project.save(update_fields=["overlap", "guidelines"])
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, trainer)
    yield page
    context.close()


def drag_slowly(page, source, target):
    """As a person drags: take the card by its middle, travel up in small steps with pauses, and let
    go with the card over the target, low on it (the pointer keeps the offset it took the card by)."""
    start, end = source.bounding_box(), target.bounding_box()
    x, y = start["x"] + 300, start["y"] + start["height"] / 2
    goal = end["y"] + end["height"] * 0.8
    page.mouse.move(x, y)
    page.mouse.down()
    steps = 40
    for step in range(1, steps + 1):
        page.mouse.move(x, y + (goal - y) * step / steps)
        page.wait_for_timeout(25)
    page.wait_for_timeout(400)
    page.mouse.up()


def test_four_long_candidates_fit_a_laptop_screen_with_the_submit_button_on_it(laptop, live_server, project, artifacts):
    comparison_with(project, [long_answer(name) for name in "WXYZ"])
    page = laptop
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    page.screenshot(path=artifacts / "ranking-laptop.png")
    assert page.evaluate("window.scrollY") == 0
    cards = page.locator("#cards .cand")
    assert cards.count() == 4
    for index in range(4):
        assert cards.nth(index).locator(".expand").is_visible()  # folded, with "Show all"
    submit = page.locator("#submit-ranking").bounding_box()
    assert submit["y"] >= 0 and submit["y"] + submit["height"] <= LAPTOP["height"]
    # Every card, folded, is on screen above the submit bar.
    bar = page.locator(".submit-bar").bounding_box()
    for index in range(4):
        card = cards.nth(index).bounding_box()
        assert card["y"] >= 0 and card["y"] + card["height"] <= bar["y"]
    assert page.locator("#rank-progress").inner_text().startswith("0 of 1 today · 1 left in the queue")

    cards.nth(0).locator(".expand").click()  # a card shown whole pushes the others down; the button stays
    submit = page.locator("#submit-ranking").bounding_box()
    assert submit["y"] + submit["height"] <= LAPTOP["height"]


def test_a_card_dragged_from_fourth_to_first_at_a_person_s_pace_lands_first(laptop, live_server, project, trainer):
    comparison_with(project, [long_answer(name) for name in "WXYZ"])
    page = laptop
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    shown = on_screen_order(page)
    cards = page.locator("#cards .cand")
    drag_slowly(page, cards.nth(3), cards.nth(0))
    assert on_screen_order(page) == [shown[3], shown[0], shown[1], shown[2]]
    assert [cards.nth(i).locator(".rank-num").inner_text() for i in range(4)] == ["1", "2", "3", "4"]
    page.locator("#submit-ranking").click()
    page.wait_for_selector("#rank-area .message.success")
    assert Ranking.objects.get(trainer=trainer).tiers == [[shown[3]], [shown[0]], [shown[1]], [shown[2]]]
    assert page.locator("#rank-progress").inner_text().startswith("1 of 1 today · 0 left in the queue")


def test_the_guidelines_sit_beside_the_cards_on_a_wide_screen_and_fold_on_a_laptop(
    browser, laptop, live_server, project, trainer
):
    comparison_with(project, ["One.", "Two.", "Three.", "Four."])
    laptop.goto(f"{live_server.url}/p/{project.slug}/rank/")
    laptop.wait_for_selector("#cards .cand:focus")
    assert not laptop.locator(".guidelines-panel strong", has_text="correct").is_visible()

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    wide = context.new_page()
    login(wide, live_server, trainer)
    wide.goto(f"{live_server.url}/p/{project.slug}/rank/")
    wide.wait_for_selector("#cards .cand:focus")
    guidelines = wide.locator(".guidelines-panel strong", has_text="correct")
    assert guidelines.is_visible()
    assert guidelines.bounding_box()["x"] > wide.locator("#cards").bounding_box()["x"] + 400
    results = Axe().run(wide)
    assert results.violations_count == 0, results.generate_snapshot()
    context.close()


def test_axe_core_finds_no_accessibility_violations_on_the_ranking_screen(laptop, live_server, project):
    comparison_with(project, [long_answer(name) for name in "WXYZ"])
    laptop.goto(f"{live_server.url}/p/{project.slug}/rank/")
    laptop.wait_for_selector("#cards .cand:focus")
    results = Axe().run(laptop)
    assert results.violations_count == 0, results.generate_snapshot()


def test_the_page_scrolls_while_a_card_is_held_at_the_window_s_top_edge(laptop, live_server, project):
    comparison_with(project, [long_answer(name) for name in "WXYZ"])
    page = laptop
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    shown = on_screen_order(page)
    cards = page.locator("#cards .cand")
    for index in range(3):
        cards.nth(index).locator(".expand").click()  # the list is now far taller than the window
    last = cards.nth(3).locator(".cand-head")
    last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 1000
    start = last.bounding_box()
    x, y = start["x"] + 40, start["y"] + 12
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, y + (20 - y) * step / 20)
        page.wait_for_timeout(25)
    for _ in range(100):  # held near the top edge until the page has scrolled to its top
        page.mouse.move(x, 20 + _ % 2)
        page.wait_for_timeout(50)
        if page.evaluate("window.scrollY") == 0:
            break
    assert page.evaluate("window.scrollY") == 0
    first = cards.nth(0).bounding_box()
    page.mouse.move(x, first["y"] + 10, steps=5)
    page.wait_for_timeout(400)
    page.mouse.up()
    assert on_screen_order(page)[0] == shown[3]
