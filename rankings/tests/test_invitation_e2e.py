"""From a lead's invitation to the invitee's first ranking, in a real browser: the link is read
from the mail Django sent."""

import re

import pytest
from django.core import mail

from labeler.models import Invitation, Membership
from labeler.tests.browser import login
from rankings.models import Ranking
from rankings.tests.factories import ready_comparisons

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long pass-phrase of mine"


def test_an_invited_trainer_joins_and_submits_a_first_ranking(browser, page, live_server, project, lead, artifacts):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    comparison = ready_comparisons(project, 1)[0]

    login(page, live_server, lead)
    page.goto(f"{live_server.url}/p/{project.slug}/members/")
    page.fill("textarea[name=addresses]", "new.trainer@example.org,trainer")
    with page.expect_navigation():
        page.click("button:has-text('Send invitations')")
    assert page.locator("[data-invitation='new.trainer@example.org'] [data-status='pending']").is_visible()
    page.screenshot(path=artifacts / "members-page.png", full_page=True)

    [message] = mail.outbox
    assert message.to == ["new.trainer@example.org"]
    link = re.search(re.escape(live_server.url) + r"/invitations/\S+/", message.body).group(0)

    invitee = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    invitee.set_default_timeout(10_000)
    try:
        invitee.goto(link)
        invitee.fill("input[name=username]", "new-trainer")
        invitee.fill("input[name=password1]", PASSWORD)
        invitee.fill("input[name=password2]", PASSWORD)
        invitee.click("button:has-text('Create my account and join')")
        invitee.wait_for_url(f"{live_server.url}/p/{project.slug}/")
        assert invitee.locator(".message.success", has_text=f"member of {project.name}").is_visible()
        invitee.screenshot(path=artifacts / "invitation-landing.png", full_page=True)

        invitee.click("a:has-text('Start ranking')")
        invitee.wait_for_selector("#cards .cand:focus")
        invitee.keyboard.press("Shift+ArrowDown")  # differ from the displayed order
        invitee.keyboard.press("Control+Enter")
        invitee.wait_for_selector("#rank-area .done")
    finally:
        invitee.context.close()

    ranking = Ranking.objects.get(comparison=comparison)
    assert ranking.trainer.username == "new-trainer"
    assert Membership.objects.get(project=project, user=ranking.trainer).role == Membership.Role.TRAINER
    assert Invitation.objects.get().accepted_by == ranking.trainer
    # The link was for one use.
    page.goto(link)
    assert page.locator("text=used already").is_visible()
