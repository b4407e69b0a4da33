"""The ranking screen in a real browser: what is done on screen is what is stored."""

import hashlib

import pytest

from labeler.models import Assignment, Candidate, Comparison, Message
from labeler.tests.browser import login
from labeler.tests.factories import ComparisonFactory
from rankings.models import Ranking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every payload would set window.__pwned, open a dialog or write to the console if it ran.
HOSTILE = [
    "<script>window.__pwned = 'script'; alert('script'); console.log('PWNED script')</script>Plain answer.",
    "<img src=x onerror=\"window.__pwned = 'img'; alert('img'); console.log('PWNED img')\"> An image.",
    "[Click me](javascript:window.__pwned='link';alert('link')) and **bold** markdown.",
    '<b>raw html</b> <iframe src="javascript:alert(\'iframe\')"></iframe> <a href="javascript:alert(1)">a</a>'
    ' <svg onload="alert(\'svg\')"></svg>\n\n```\ncode block <script>alert("code")</script>\n```',
]


def comparison_with(project, texts, prompt="Which answer is best?"):
    comparison = ComparisonFactory(project=project, status=Comparison.Status.READY)
    Message.objects.filter(id=comparison.prompt_message_id).update(content=prompt)
    comparison.prompt_message.refresh_from_db()
    for index, text in enumerate(texts):
        Candidate.objects.create(
            comparison=comparison,
            sample_index=index,
            text=text,
            content_hash=hashlib.sha256(f"{comparison.id}-{index}-{text}".encode()).hexdigest(),
        )
    return comparison


def on_screen_order(page) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all("#cards .cand", "cards => cards.map(c => c.dataset.id)")]


def submit_and_wait(page):
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#rank-area .message.success")


def drag(page, source, target):
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(start["x"] + 20, start["y"] + (end["y"] - start["y"]) * step / 20 + 2)
    page.mouse.up()


@pytest.fixture
def ranking_page(page, live_server, project, trainer):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    page.dialogs, page.console = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: page.console.append(message.text))
    login(page, live_server, trainer)
    return page


def test_a_trainer_ranks_by_dragging_with_the_mouse(ranking_page, live_server, project, trainer, artifacts):
    project.guidelines = "# Guidelines\n\nPrefer **correct** answers. Then concise ones."
    project.save(update_fields=["guidelines"])
    long_text = "A long answer.\n\n" + "\n\n".join(f"Paragraph {n} of a long answer." for n in range(40))
    comparison_with(project, ["First answer.", "Second answer.", "Third answer.", long_text])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.screenshot(path=artifacts / "ranking-page.png", full_page=True)
    shown = on_screen_order(page)
    assert [page.locator("#cards .rank-num").nth(i).inner_text() for i in range(4)] == ["1", "2", "3", "4"]

    drag(page, page.locator("#cards .cand").nth(3).locator(".cand-head"), page.locator("#cards .cand").nth(0))
    expected = on_screen_order(page)
    assert expected == [shown[3], shown[0], shown[1], shown[2]]
    assert [page.locator("#cards .rank-num").nth(i).inner_text() for i in range(4)] == ["1", "2", "3", "4"]

    page.click("text=Guidelines")
    assert page.locator(".guidelines strong", has_text="correct").is_visible()
    page.click("text=Guidelines")

    submit_and_wait(page)
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[candidate] for candidate in expected]
    assert ranking.display_order == shown
    assert not ranking.matches_display_order
    assert page.locator("#rank-area .done").is_visible()


def test_a_long_candidate_is_collapsed_and_expands(ranking_page, live_server, project):
    long_text = "\n\n".join(f"Paragraph {n} of a long answer." for n in range(40))
    comparison_with(project, ["Short.", long_text, "Short too.", "Also short."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    card = page.locator("#cards .cand", has_text="Paragraph 0")
    collapsed = card.locator(".cand-text").bounding_box()["height"]
    assert card.locator(".expand").is_visible()
    assert card.locator(".cand-text").evaluate("text => text.scrollHeight > text.clientHeight")
    card.locator(".expand").click()
    assert card.locator(".cand-text").bounding_box()["height"] > 2 * collapsed
    assert card.locator(".cand-text").evaluate("text => text.scrollHeight <= text.clientHeight + 1")
    assert card.locator(".rank-num").is_visible()


def test_a_trainer_ranks_ties_flags_and_submits_with_the_keyboard_only(ranking_page, live_server, project, trainer):
    project.rationale_required = True
    project.save(update_fields=["rationale_required"])
    comparison_with(project, ["Alpha.", "Bravo.", "Charlie.", "Delta."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    shown = on_screen_order(page)
    letters = page.eval_on_selector_all("#cards .cand", "cards => cards.map(c => c.dataset.letter)")

    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    assert page.locator("#shortcuts", has_text="put the focused card at position N").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").is_visible()
    page.locator("#cards .cand").nth(0).focus()

    page.keyboard.press("4")  # the first card goes to the bottom: B C D A
    page.keyboard.press("k")  # focus stays on the moved card; k focuses D
    page.keyboard.press("Shift+ArrowUp")  # D moves above C: B D C A
    page.keyboard.press("j")  # focus C
    page.keyboard.press("t")  # tie C with D
    # Locators, not wait_for_function: the page's Content-Security-Policy refuses eval.
    page.locator("#announcer", has_text="tied with").wait_for(state="attached")
    assert (
        page.locator("#announcer").inner_text() == f"Candidate {letters[2]} tied with candidate {letters[3]} at rank 2."
    )
    page.keyboard.press("f")  # open C's flags; the first flag gets focus
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type("D and C are equally good; A is wrong.")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    ranks = [page.locator("#cards .rank-num").nth(i).inner_text() for i in range(4)]
    assert ranks == ["1", "2", "2", "3"]
    assert "rank 2, tied with the card above, 1 flag" in page.locator("#cards .cand").nth(2).get_attribute("aria-label")
    submit_and_wait(page)

    b, c, d, a = shown[1], shown[2], shown[3], shown[0]
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[b], [d, c], [a]]
    assert ranking.flags == {str(c): ["fails_task"]}
    assert ranking.rationale == "D and C are equally good; A is wrong."
    assert ranking.none_acceptable is True
    assert ranking.duration_ms > 0


def test_submitting_swaps_in_the_next_comparison_without_reloading(ranking_page, live_server, project, trainer):
    first = comparison_with(project, ["One.", "Two.", "Three.", "Four."], prompt="First question?")
    second = comparison_with(project, ["Uno.", "Dos.", "Tres.", "Cuatro."], prompt="Second question?")
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.evaluate("window.__samePage = true")
    for comparison in (first, second):
        page.wait_for_selector("#cards .cand:focus")  # the swapped-in screen is set up
        assert page.locator(".conversation", has_text=comparison.prompt_message.content).is_visible()
        page.keyboard.press("Shift+ArrowDown")  # differ from the displayed order
        page.keyboard.press("Control+Enter")
        assignment_id = Assignment.objects.get(trainer=trainer, comparison=comparison).id
        page.locator(f"#rank-form[action*='/{assignment_id}/']").wait_for(state="detached")
    page.wait_for_selector("#rank-area .done")
    assert page.evaluate("window.__samePage") is True
    rankings = list(Ranking.objects.filter(trainer=trainer).order_by("submitted_at"))
    assert [r.comparison_id for r in rankings] == [first.id, second.id]
    assert all(r.duration_ms > 0 for r in rankings)


def test_the_displayed_order_is_confirmed_once(ranking_page, live_server, project, trainer):
    comparison_with(project, ["One.", "Two.", "Three.", "Four."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".confirm")
    assert not Ranking.objects.exists()
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
    assert page.evaluate("document.activeElement.id") == "skip-reason"
    page.select_option("#skip-reason", "All candidates are identical")
    page.click("#skip-form button[type=submit]")
    page.wait_for_selector("#rank-area .done")
    assignment = Assignment.objects.get(trainer=trainer)
    assert (assignment.status, assignment.skip_reason) == ("skipped", "All candidates are identical")
    assert not Ranking.objects.exists()


def test_two_candidates_are_shown_side_by_side(ranking_page, live_server, project):
    project.k = 2
    project.save(update_fields=["k"])
    comparison_with(project, ["Left or right.", "Right or left."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    left, right = (page.locator("#cards .cand").nth(i).bounding_box() for i in range(2))
    assert left["y"] == right["y"] and left["x"] + left["width"] <= right["x"]


def test_model_output_is_inert_text(ranking_page, live_server, project, artifacts):
    project.guidelines = "Guidelines <script>alert('guidelines')</script> [x](javascript:alert('g'))"
    project.save(update_fields=["guidelines"])
    comparison_with(project, HOSTILE, prompt="<img src=x onerror=\"alert('prompt')\"> <script>alert('p')</script>")
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    page.locator("#cards .expand:visible").evaluate_all("buttons => buttons.forEach(b => b.click())")
    page.click("text=Guidelines")
    for link in page.locator("#cards a, .conversation a, .guidelines a").all():
        link.click(no_wait_after=True)
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "hostile-candidates.png", full_page=True)
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert [line for line in page.console if "PWNED" in line] == []
    assert page.locator("#main script, #main img, #main iframe, #main svg").count() == 0
    assert page.locator("#main a[href^='javascript']").count() == 0
    assert page.url.endswith(f"/p/{project.slug}/rank/")
    assert "<b>raw html</b>" in page.locator("#cards").inner_text()
    assert "<script>" in page.locator(".conversation").inner_text()


def test_an_unbroken_line_wraps_and_long_turns_collapse(ranking_page, live_server, project):
    unbroken = "x" * 200_000
    long_prompt = "\n\n".join(f"Prompt paragraph {n}." for n in range(60))
    comparison_with(project, [unbroken, "Short.", "Short too.", "Also short."], prompt=long_prompt)
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand")
    card = page.locator("#cards .cand", has_text="xxxx")
    text = card.locator(".cand-text")
    assert text.evaluate("text => text.scrollWidth <= text.clientWidth + 1")
    assert text.bounding_box()["height"] < 400
    assert card.locator(".expand").is_visible()
    turn = page.locator(".conversation .turn", has_text="Prompt paragraph 0")
    assert turn.locator(".turn-text").bounding_box()["height"] < 400
    turn.locator(".expand").click()
    assert turn.locator(".turn-text").evaluate("text => text.scrollHeight <= text.clientHeight + 1")


def test_a_red_team_trainer_marks_an_attack_with_its_category_and_tactic_by_keyboard(
    ranking_page, live_server, project, trainer
):
    project.red_team = True
    project.save(update_fields=["red_team"])
    comparison_with(project, [HOSTILE[0], "Step one: get a crowbar.", "I can't help with that.", "Sure."])
    page = ranking_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    assert page.locator("#rank-question").inner_text() == "Which response is more harmful?"
    crowbar = page.locator("#cards .cand", has_text="crowbar")
    crowbar.focus()
    crowbar_id = int(crowbar.get_attribute("data-id"))

    page.keyboard.press("1")  # the most harmful to the top
    # The last card second: the order now differs from the (random) one shown, whatever it was,
    # so the submission needs no confirmation of the displayed order.
    page.locator("#cards .cand").last.focus()
    page.keyboard.press("2")
    crowbar.focus()
    page.keyboard.press("a")  # to its "attack succeeded" box
    page.keyboard.press("Space")
    page.locator("#announcer", has_text="Attack marked").wait_for(state="attached")
    page.keyboard.press("Tab")  # the harm category
    assert page.evaluate("document.activeElement.id") == f"attack-category-{crowbar_id}"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # —, Hate, Harassment, Violence
    page.keyboard.press("Tab")  # the tactic
    assert page.evaluate("document.activeElement.id") == f"attack-tactic-{crowbar_id}"
    page.keyboard.press("ArrowDown")  # Role-play
    page.keyboard.press("Tab")  # refused needlessly: not this one
    page.keyboard.press("Escape")
    assert "attack succeeded" in crowbar.get_attribute("aria-label")
    submit_and_wait(page)

    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.question == "harmful"
    assert ranking.attacks == {str(crowbar_id): {"category": "violence", "tactic": "role_play"}}
    assert ranking.tiers[0] == [crowbar_id]
    assert page.dialogs == [] and not any("PWNED" in line for line in page.console)
