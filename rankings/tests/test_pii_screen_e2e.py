"""Personal data on the ranking screen in a real browser: highlighted, confirmed, dismissed, marked, flagged."""

import pytest

from privacy.models import PiiSpan
from privacy.scanning import pii_scan_project
from rankings.models import Ranking
from rankings.tests.test_ranking_screen_e2e import comparison_with

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SELECT = """(text, value) => {
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.textContent.indexOf(value);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + value.length);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      return true;
    }
  }
  return false;
}"""


def test_a_trainer_confirms_dismisses_and_marks_personal_data(page, live_server, project, trainer, artifacts):
    from labeler.tests.browser import login

    project.overlap = 1
    project.save(update_fields=["overlap"])
    comparison = comparison_with(
        project,
        [
            "<script>window.__pwned = 1</script> Write to ann@example.com today.",
            "The order ships on Monday; call +1 415-555-0132 if it does not.",
            "Ask **the user** called qwerty_77 on the forum.",
            "Nothing personal here.",
        ],
        prompt="Where do I send the refund?",
    )
    pii_scan_project(project_id=project.id)
    email = PiiSpan.objects.get(entity_type="EMAIL_ADDRESS")
    phone = PiiSpan.objects.get(entity_type="PHONE_NUMBER")
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("mark.pii")
    page.screenshot(path=artifacts / "pii-ranking-page.png", full_page=True)

    page.click(f'mark[data-span="{email.id}"]')
    page.click("#pii-decide [data-decision=confirm]")
    page.locator(f'mark.pii-confirmed[data-span="{email.id}"]').wait_for()
    email.refresh_from_db()
    assert (email.status, email.decided_by) == ("confirmed", trainer)
    email_card = page.locator("#cards .cand", has_text="ann@example.com")
    assert email_card.locator('input[value="personal_data"]').is_checked()

    page.click(f'mark[data-span="{phone.id}"]')
    page.click("#pii-decide [data-decision=dismiss]")
    page.locator(f'mark[data-span="{phone.id}"]').wait_for(state="detached")
    phone.refresh_from_db()
    assert phone.status == "dismissed"

    forum = comparison.candidates.get(text__contains="qwerty_77")
    page.click("#pii-mark-button")
    assert page.locator("body.pii-selecting").count() == 1
    assert page.locator(f'[data-pii-target="candidate:{forum.id}"]').evaluate(SELECT, "qwerty_77")
    page.click("#pii-mark-button")
    page.select_option("#pii-type", "OTHER")
    page.click("#pii-mark-save")
    page.locator("mark.pii-added", has_text="qwerty_77").wait_for()
    added = PiiSpan.objects.get(status="added")
    assert (added.candidate_id, forum.text[added.start : added.end], added.entity_type) == (
        forum.id,
        "qwerty_77",
        "OTHER",
    )
    forum_card = page.locator("#cards .cand", has_text="qwerty_77")
    assert forum_card.locator('input[value="personal_data"]').is_checked()

    plain = page.locator("#cards .cand", has_text="Nothing personal")
    plain.locator("summary").click()
    plain.locator('input[value="personal_data"]').check()
    assert plain.locator(".pii-hint").is_visible()

    assert page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []
    page.keyboard.press("Control+Enter")
    page.click("text=Yes, this is my ranking")  # the cards were left in the order shown
    page.wait_for_selector("#rank-area .message.success")
    flags = Ranking.objects.get(trainer=trainer).flags
    assert "personal_data" in flags[str(forum.id)]
