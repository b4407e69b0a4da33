"""A trainer paused while ranking: their next submit, sent by htmx, turns into the page that says why."""

import pytest

from labeler.models import Membership
from labeler.projects import membership_pause
from labeler.tests.browser import login
from rankings.models import Ranking
from rankings.tests.factories import ready_comparisons

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_submit_after_the_pause_shows_the_pause_and_stores_nothing(page, live_server, project, trainer):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 2)
    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/rank/")
    page.wait_for_selector("#cards .cand:focus")

    membership_pause(project=project, membership_id=Membership.objects.get(project=project, user=trainer).id)
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-paused]")
    assert f"Your lead has paused your work in {project.name}" in page.inner_text("[data-paused]")
    assert page.url == f"{live_server.url}/p/{project.slug}/rank/"
    assert not Ranking.objects.exists()
