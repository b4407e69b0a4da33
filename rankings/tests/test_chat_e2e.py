"""A chat in a real browser, with the real model sampled by a real Celery worker."""

import pytest

from labeler.models import Assignment, Comparison, Conversation, Message
from labeler.tasks import sampling_sweep
from labeler.tests.browser import login
from labeler.tests.factories import ModelEndpointFactory
from rankings.models import Ranking
from rankings.tests.chat_data import chat_project

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

K = 3
SAMPLED = 60_000  # ms: the embedded model on two busy cores


@pytest.fixture
def chat_page(page, live_server, project, trainer, model_server):
    chat_project(project, k=K, system_prompt="You are a helpful assistant. Answer in one sentence.")
    ModelEndpointFactory(project=project, base_url=model_server, share=K, max_tokens=12, temperature=1.0)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, trainer)
    page.goto(f"{live_server.url}/p/{project.slug}/chat/")
    page.click("#start-blank")
    page.wait_for_selector("#turn-form")
    return page


def say(page, text: str) -> None:
    page.fill("#turn-text", text)
    page.click("#send-turn")
    page.wait_for_selector("#chat-step[data-step=sampling], #chat-step[data-step=rank]")


def rank_turn(page) -> list[int]:
    """Wait for every answer, rank them by keyboard (the first shown goes last), submit."""
    page.wait_for_selector("#rank-form #cards .cand", timeout=SAMPLED)
    page.locator("#cards .cand").first.focus()
    page.keyboard.press(str(K))
    order = [int(x) for x in page.eval_on_selector_all("#cards .cand", "cards => cards.map(c => c.dataset.id)")]
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#continue")
    return order


def continue_with_best(page) -> None:
    page.locator(".continue-button").first.click()
    page.wait_for_selector("#turn-form")


def test_a_three_turn_chat_with_a_better_answer_and_a_branch(chat_page, celery_worker, project, trainer, artifacts):
    page = chat_page
    say(page, "Name a fruit.")
    first_order = rank_turn(page)
    continue_with_best(page)

    say(page, "What colour is it?")
    rank_turn(page)
    continue_with_best(page)

    say(page, "Say something about it.")
    third_order = rank_turn(page)
    page.click("details.better summary")
    page.fill("#edited-text", "It is sweet, and good for you.")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#turn-form")
    page.screenshot(path=artifacts / "chat-page.png", full_page=True)

    conversation = Conversation.objects.get(project=project)
    turn_one = Message.objects.get(conversation=conversation, role="user", content="Name a fruit.")
    [answer_one] = turn_one.children.all()
    page.click(f".tree button[data-message='{answer_one.id}']")
    page.wait_for_selector("#turn-form")
    say(page, "Where does it grow?")
    rank_turn(page)
    continue_with_best(page)

    system = Message.objects.get(conversation=conversation, role="system")
    assert system.parent is None and system.content.startswith("You are a helpful assistant")
    assert answer_one.candidate_id == first_order[0] and not answer_one.is_demonstration
    assert sorted(answer_one.children.values_list("content", flat=True)) == [
        "What colour is it?",
        "Where does it grow?",
    ]
    turn_three = Message.objects.get(conversation=conversation, content="Say something about it.")
    [demonstration] = turn_three.children.all()
    assert demonstration.is_demonstration and demonstration.author == trainer
    assert demonstration.content == "It is sweet, and good for you."
    assert demonstration.candidate_id == third_order[0]  # edited from the answer ranked first

    comparisons = Comparison.objects.filter(conversation=conversation)
    assert comparisons.count() == 4
    assert all(comparison.candidates.count() == K for comparison in comparisons)
    assert Ranking.objects.filter(comparison__in=comparisons, trainer=trainer).count() == 4
    assert set(comparisons.values_list("status", flat=True)) == {Comparison.Status.COMPLETE}
    assert Message.objects.filter(conversation=conversation).count() == 1 + 4 + 4
    assert Conversation.objects.get(id=conversation.id).head.content != ""
    assert page.dialogs == []


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
