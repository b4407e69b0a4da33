"""In a real browser: the lead rules on a comparison with the keyboard, using the ranking
screen's own cards; a trainer revises a ranking before its comparison completes."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from labeler.tests.browser import login
from rankings.models import Adjudication, Ranking
from rankings.tests.factories import lease, submit
from rankings.tests.stats_data import candidate_ids, comparison_with, rank, trainers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG = "A long answer.\n\n" + "\n\n".join(f"Paragraph {n} with **markdown**." for n in range(40))


def order_of(page, selector: str) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all(f"{selector} .cand", "cards => cards.map(c => c.dataset.id)")]


def test_a_lead_rules_by_keyboard_from_a_fully_tied_consensus(page, live_server, project, lead, artifacts):
    comparison = comparison_with(project, ["Answer one.", "Answer two.", LONG, "<script>window.__pwned=1</script>Four"])
    a, b, c, d = candidate_ids(comparison)
    t0, t1 = trainers(project, 2)
    rank(comparison, t0, [[0], [1], [2], [3]])
    rank(comparison, t1, [[3], [2], [1], [0]], flags={str(c): ["untruthful"]})
    login(page, live_server, lead)
    page.goto(f"{live_server.url}/p/{project.slug}/dashboard/comparisons/{comparison.id}/")
    page.wait_for_selector("#ruling-cards .cand")
    page.screenshot(path=artifacts / "review-page.png", full_page=True)

    # The trainers' rankings as tiers of letters, the consensus tying all four said plainly.
    assert page.locator(".review-table td.tiers").nth(1).inner_text().replace("then", "").split() == [
        "D", "›", "C", "›", "B", "›", "A"
    ]  # fmt: skip
    assert "ties every candidate" in page.locator("#ruling-start").inner_text()
    assert order_of(page, "#ruling-cards") == [a, b, c, d]
    assert page.locator("#ruling-cards .cand.tied").count() == 0
    # Candidates as on the ranking screen: rendered markdown, escaped, the long one folded.
    long_card = page.locator("#ruling-cards .cand").nth(2)
    assert long_card.locator(".cand-text strong").first.is_visible()
    assert long_card.locator(".expand").is_visible()
    assert "<script>" in page.locator("#ruling-cards .cand").nth(3).inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#ruling-cards .cand").nth(2).locator(".badge.bad").inner_text().startswith("Untruthful")
    card_width = long_card.bounding_box()["width"]
    assert card_width > 0.8 * page.locator("#ruling-form").bounding_box()["width"]

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()

    page.locator("#ruling-cards .cand").nth(3).focus()
    page.keyboard.press("1")  # D first: D A B C
    page.keyboard.press("j")  # focus A
    page.keyboard.press("j")  # focus B
    page.keyboard.press("t")  # tie B with A
    page.locator("#announcer", has_text="tied with").wait_for(state="attached")
    page.keyboard.press("j")  # focus C
    page.keyboard.press("Shift+ArrowUp")  # C above B: D A C B; B stays tied, now with C
    assert [page.locator("#ruling-cards .rank-num").nth(i).inner_text() for i in range(4)] == ["1", "2", "3", "3"]
    page.fill("#note", "D is the only correct answer.")
    page.locator("#ruling-cards .cand").nth(0).focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".message.success")

    adjudication = Adjudication.objects.get(comparison=comparison)
    assert adjudication.tiers == [[d], [a], [c, b]]
    assert adjudication.note == "D is the only correct answer."
    # Back on the page, the ruling starts from itself, ties shown.
    assert order_of(page, "#ruling-cards") == [d, a, c, b]
    assert page.locator("#ruling-cards .cand.tied").count() == 1
    assert page.locator("#ruling-start").count() == 0


def test_a_trainer_revises_a_ranking_before_the_comparison_completes(page, live_server, project, trainer):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    comparison = comparison_with(project, ["Alpha.", "Bravo.", "Charlie.", "Delta."])
    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    shown = order_of(page, "#cards")
    page.keyboard.press("4")  # the first card to the bottom
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#rank-area .message.success")
    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[shown[1]], [shown[2]], [shown[3]], [shown[0]]]

    page.click("#rank-progress >> text=Your rankings")
    page.wait_for_selector(".history-table")
    assert page.locator(".history-table tbody tr").count() == 1
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()
    page.locator(".history-table a", has_text="Revise").click()
    page.wait_for_selector("#cards .cand:focus")
    assert order_of(page, "#cards") == [shown[1], shown[2], shown[3], shown[0]]  # as submitted
    page.keyboard.press("t")  # the focused first card cannot tie: nothing changes
    page.locator("#cards .cand").nth(3).focus()
    page.keyboard.press("2")  # second now
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".message.success", state="attached")
    assert page.url.endswith(f"/p/{project.slug}/rankings/")
    ranking.refresh_from_db()
    assert ranking.tiers == [[shown[1]], [shown[0]], [shown[2]], [shown[3]]]
    assert ranking.revised_at is not None
    assert Ranking.objects.filter(comparison=comparison).count() == 1

    # Another trainer completes the comparison: the ranking can no longer be revised.
    other = trainers(project, 1, prefix="other")[0]
    assignment = lease(project, other)
    submit(assignment, tiers=[[candidate] for candidate in reversed(assignment.display_order)])
    page.reload()
    assert page.locator(".history-table a", has_text="Revise").count() == 0
    assert page.locator(".history-table .badge.complete").is_visible()
