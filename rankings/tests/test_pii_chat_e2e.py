"""Personal data in chat, in a real browser: the conversation and the answers highlighted as on the
ranking screen, with the same dialog to confirm, dismiss or mark."""

import pytest

from privacy.models import PiiSpan
from privacy.scanning import pii_scan_project
from rankings import chat
from rankings.tests.chat_data import chat_project, rank_best_first, turn
from rankings.tests.test_pii_screen_e2e import SELECT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_trainer_confirms_dismisses_and_marks_personal_data_in_a_chat(page, live_server, project, trainer, artifacts):
    from labeler.tests.browser import login

    chat_project(project, k=3)
    conversation = chat.conversation_start(project=project, trainer=trainer)
    comparison, (call, write, forum) = turn(
        conversation,
        trainer,
        "<script>window.__pwned = 1</script> I'm Maria Garcia: write to maria.garcia@example.org please.",
        [
            "Sure, I will call +1 415-555-0132 tonight.",
            "I will write to maria.garcia@example.org.",
            "Ask qwerty_77 on the forum.",
        ],
    )
    rank_best_first(comparison, trainer, [call, write, forum])
    pii_scan_project(project_id=project.id)
    email = PiiSpan.objects.get(message=comparison.prompt_message, entity_type="EMAIL_ADDRESS")
    phone = PiiSpan.objects.get(candidate=call, entity_type="PHONE_NUMBER")
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/chat/{conversation.id}/")
    page.wait_for_selector("#branch mark.pii")
    assert page.locator("#continue mark.pii").count() >= 1
    assert page.locator(".tree .pii-badge").count() == 1
    page.screenshot(path=artifacts / "pii-chat-page.png", full_page=True)

    page.click(f'#branch mark[data-span="{email.id}"]')
    page.click("#pii-decide [data-decision=confirm]")
    page.locator(f'mark.pii-confirmed[data-span="{email.id}"]').wait_for()
    email.refresh_from_db()
    assert (email.status, email.decided_by) == ("confirmed", trainer)

    page.click(f'#continue mark[data-span="{phone.id}"]')
    page.click("#pii-decide [data-decision=dismiss]")
    page.locator(f'mark[data-span="{phone.id}"]').wait_for(state="detached")
    phone.refresh_from_db()
    assert phone.status == "dismissed"

    page.click("#continue details.others summary")
    page.click("#pii-mark-button")
    assert page.locator(f'[data-pii-target="candidate:{forum.id}"]').evaluate(SELECT, "qwerty_77")
    page.click("#pii-mark-button")
    page.select_option("#pii-type", "OTHER")
    page.click("#pii-mark-save")
    page.locator("mark.pii-added", has_text="qwerty_77").wait_for()
    added = PiiSpan.objects.get(status="added")
    assert (added.candidate_id, forum.text[added.start : added.end]) == (forum.id, "qwerty_77")

    assert page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []
