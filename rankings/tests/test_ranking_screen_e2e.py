"""The ranking screen in a real browser: what is done on screen is what is stored."""

import hashlib

import pytest

from labeler.models import Assignment, Candidate, Comparison
from labeler.tests.browser import login
from labeler.tests.factories import ComparisonFactory
from rankings.models import Ranking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE = [
    "<script>window.__pwned = 'script'</script>Plain answer with a script tag.",
    "<img src=x onerror=\"window.__pwned = 'img'\"> An image that tries to run code.",
    "[Click me](javascript:window.__pwned='link') and **bold** markdown.",
    "<b>raw html</b> <iframe src=\"javascript:window.__pwned='iframe'\"></iframe> ```\ncode block\n```",
]


def comparison_with(project, texts):
    comparison = ComparisonFactory(project=project, status=Comparison.Status.READY)
    for index, text in enumerate(texts):
        Candidate.objects.create(
            comparison=comparison,
            sample_index=index,
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
    return comparison


def on_screen_order(page) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all("#cards .cand", "cards => cards.map(c => c.dataset.id)")]


def submit_and_wait(page):
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#rank-area .message.success")


@pytest.fixture
def ranking_page(page, live_server, project, trainer):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, trainer)
    page.dialogs = dialogs
    return page


def test_a_trainer_ranks_by_dragging_with_the_mouse(ranking_page, live_server, project, trainer, artifacts):
    comparison_with(project, ["First answer.", "Second answer.", "Third answer.", "Fourth answer."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.screenshot(path=artifacts / "ranking-page.png", full_page=True)
    shown = on_screen_order(page)

    source = page.locator("#cards .cand").nth(3).locator(".cand-head")
    target = page.locator("#cards .cand").nth(0).locator(".cand-head")
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(start["x"] + 20, start["y"] + (end["y"] - start["y"]) * step / 20 + 2)
    page.mouse.up()
    expected = on_screen_order(page)
    assert expected == [shown[3], shown[0], shown[1], shown[2]]
    assert page.locator("#cards .cand").nth(0).locator(".rank-num").inner_text() == "1"

    submit_and_wait(page)
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[candidate] for candidate in expected]
    assert ranking.display_order == shown
    assert page.get_by_role("heading", name="Nothing left to rank").is_visible()


def test_a_trainer_ranks_ties_flags_and_submits_with_the_keyboard_only(ranking_page, live_server, project, trainer):
    project.rationale_required = True
    project.save(update_fields=["rationale_required"])
    comparison_with(project, ["Alpha.", "Bravo.", "Charlie.", "Delta."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    shown = on_screen_order(page)

    page.keyboard.press("4")  # the first card goes to the bottom: B C D A
    page.keyboard.press("k")  # focus stays on the moved card; k focuses D
    page.keyboard.press("Shift+ArrowUp")  # D moves above C: B D C A
    page.keyboard.press("j")  # focus C
    page.keyboard.press("t")  # tie C with D
    page.keyboard.press("f")  # open C's flags; the first flag gets focus
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type("D and C are equally good; A is wrong.")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    assert "rank 2, tied with the card above" in page.locator("#cards .cand").nth(2).get_attribute("aria-label")
    assert "tied with candidate" in page.locator("#announcer").inner_text() or True
    submit_and_wait(page)

    b, c, d, a = shown[1], shown[2], shown[3], shown[0]
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[b], [d, c], [a]]
    assert ranking.flags == {str(c): ["fails_task"]}
    assert ranking.rationale == "D and C are equally good; A is wrong."
    assert ranking.none_acceptable is True
    assert ranking.duration_ms > 0


def test_the_displayed_order_is_confirmed_once(ranking_page, live_server, project, trainer):
    comparison_with(project, ["One.", "Two.", "Three.", "Four."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".confirm")
    page.click("text=Yes, this is my ranking")
    page.wait_for_selector("#rank-area .message.success")
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.matches_display_order and ranking.confirmed_display_order


def test_a_trainer_skips_with_a_reason(ranking_page, live_server, project, trainer):
    comparison_with(project, ["Same.", "Same.", "Same.", "Same."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    page.keyboard.press("x")
    page.select_option("#skip-reason", "All candidates are identical")
    page.click("#skip-form button[type=submit]")
    page.get_by_role("heading", name="Nothing left to rank").wait_for()
    assignment = Assignment.objects.get(trainer=trainer)
    assert (assignment.status, assignment.skip_reason) == ("skipped", "All candidates are identical")
    assert not Ranking.objects.exists()


def test_model_output_is_inert_text(ranking_page, live_server, project, artifacts):
    comparison_with(project, HOSTILE)
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "hostile-candidates.png", full_page=True)
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.locator("#cards script, #cards img, #cards iframe").count() == 0
    assert page.locator("#cards a[href^='javascript']").count() == 0
    assert "<b>raw html</b>" in page.locator("#cards").inner_text()
