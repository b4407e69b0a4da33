"""A chat in a real browser, with the real model sampled by a real Celery worker."""

import pytest

from labeler.models import Assignment, Comparison, Message
from labeler.tasks import sampling_sweep
from rankings.tests.chat_browser import SAMPLED, K, say

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_reload_mid_sampling_and_a_worker_killed_lose_no_turn(chat_page, celery_worker, live_server, project):
    page = chat_page
    say(page, "Tell me a short story about a cat.")
    comparison = Comparison.objects.get(project=project)
    celery_worker.wait_for(lambda: comparison.candidates.exists(), timeout=SAMPLED / 1000, message="a first answer")
    celery_worker.kill()
    page.reload()
    page.wait_for_selector("#chat-step[data-step=sampling]")
    assert page.locator(".arrival").count() >= 1

    celery_worker.start(RANKLAB_SAMPLING_STALE_AFTER_SECONDS="0")
    sampling_sweep.delay()
    page.wait_for_selector("#rank-form #cards .cand", timeout=SAMPLED)
    page.reload()
    page.wait_for_selector("#rank-form #cards .cand")
    assert page.locator("#cards .cand").count() == K
    assert comparison.candidates.count() == K
    assert Comparison.objects.filter(project=project).count() == 1
    assert Message.objects.filter(conversation__project=project, role="user").count() == 1
    lease = Assignment.objects.get(comparison=comparison)
    assert sorted(lease.display_order) == sorted(comparison.candidates.values_list("id", flat=True))


def test_a_stale_tab_is_told_and_the_tree_stays_whole(chat_page, celery_worker, live_server, project, browser):
    page = chat_page
    url = page.url
    other = page.context.new_page()
    other.goto(url)
    other.wait_for_selector("#turn-form")

    say(page, "First tab speaking.")
    other.fill("#turn-text", "Second tab speaking.")
    other.click("#send-turn")
    other.wait_for_selector(".message.warning")
    assert "changed in another tab" in other.locator(".message.warning").inner_text()
    assert list(Message.objects.filter(role="user").values_list("content", flat=True)) == ["First tab speaking."]
    # The second tab now shows the conversation as it stands: the first tab's turn, sampling.
    assert other.locator("#branch").inner_text().count("First tab speaking.") == 1
