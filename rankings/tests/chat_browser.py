"""Driving the chat page in a real browser, with the real model sampled by a real Celery worker."""

import pytest

from labeler.tests.browser import login
from labeler.tests.factories import ModelEndpointFactory
from rankings.tests.chat_data import chat_project

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
