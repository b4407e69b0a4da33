"""Rating on the ranking screen in a real browser: by keyboard alone, guidance on focus and hover,
axe-core finding nothing, and what was chosen is what is stored."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from labeler.rubric import default_rubric
from labeler.tests.browser import login
from rankings.models import Ranking, Rating
from rankings.tests.test_ranking_screen_e2e import comparison_with, on_screen_order, submit_and_wait

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where the focus is, if in a rating group: its candidate, attribute, and whether the group has a value.
FOCUSED_RATING = """() => {
    const focused = document.activeElement;
    const group = focused && focused.closest(".rating");
    if (!group) return null;
    const attribute = focused.name.split("-").slice(2).join("-");
    return [focused.closest(".cand").dataset.id, attribute, group.querySelector(":checked") !== null];
}"""


@pytest.fixture
def rated_page(page, live_server, project, trainer):
    project.rubric, project.overlap = default_rubric(), 1
    project.save(update_fields=["rubric", "overlap"])
    login(page, live_server, trainer)
    return page


def test_a_trainer_rates_every_attribute_and_submits_with_the_keyboard_only(rated_page, live_server, project, trainer):
    comparison_with(project, ["Alpha.", "Bravo."])
    page = rated_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    shown = on_screen_order(page)
    page.keyboard.press("2")  # the first card goes below the second: not the order shown
    page.keyboard.press("k")  # focus the card now first
    wanted = {}
    for _ in range(60):  # Tab through the page, rating each group on the way
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_RATING)
        if focused is None or focused[2]:
            continue
        candidate, attribute, _ = focused
        guide = page.locator(f"#rating-guide-{candidate}-{attribute}")
        assert guide.is_visible(), "the guidance shows while its group has the focus"
        described = page.locator(f"[aria-describedby='rating-guide-{candidate}-{attribute}']")
        assert described.count() == 1
        if attribute == "verbosity":
            page.keyboard.press("ArrowRight")  # from 0 to 1, as in any radio group
            value = 1
        else:
            value = (len(wanted) % 4) + 1
            page.keyboard.press(str(value))
        wanted[(int(candidate), attribute)] = value
        if len(wanted) == 10:
            break
    assert len(wanted) == 10
    page.locator("#announcer", has_text="Verbosity 1.").wait_for(state="attached")
    submit_and_wait(page)

    ranking = Ranking.objects.get(trainer=trainer)
    assert ranking.tiers == [[shown[1]], [shown[0]]]
    stored = {(row.candidate_id, row.attribute): row.value for row in Rating.objects.filter(ranking=ranking)}
    assert stored == wanted


def test_the_guidance_shows_on_hover_and_axe_core_finds_nothing(rated_page, live_server, project):
    comparison_with(project, ["Alpha.", "Bravo.", "Charlie.", "Delta."])
    page = rated_page
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")
    group = page.locator("#cards .cand").nth(1).locator(".rating").nth(1)
    assert not group.locator(".rating-guide").is_visible()
    group.locator("legend").hover()
    assert group.locator(".rating-guide").is_visible()
    assert "pertinent facts" in group.locator(".rating-guide").inner_text()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()
