"""A chat held in the browser, with the real model and a real worker, down to the rows TRL trains on."""

import pytest

from exports.tests.test_trl_client import dpo_trained, export_files, offline_tokenizer
from labeler.models import Comparison, Conversation, Message
from rankings.models import Ranking
from rankings.tests.chat_browser import K, continue_with_best, rank_turn, say

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_three_turn_chat_with_a_better_answer_and_a_branch_becomes_rows_trl_trains_on(
    chat_page, celery_worker, project, trainer, artifacts, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
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

    files = export_files(project, ("native", "trl", "sft", "kto", "prompt_only", "tree"))
    from datasets import load_dataset

    loaded = {format: load_dataset("json", data_files=path, split="train") for format, path in files.items()}
    assert loaded["native"].num_rows == 4
    # Each turn: the K(K-1)/2 pairs of its ranking; the turn with the demonstration K more.
    assert loaded["trl"].num_rows == 4 * K * (K - 1) // 2 + K
    assert loaded["trl"]["provenance"].count("demonstration") == K
    demonstration_row = next(row for row in loaded["trl"] if row["provenance"] == "demonstration")
    assert demonstration_row["chosen"] == [{"role": "assistant", "content": "It is sweet, and good for you."}]
    assert demonstration_row["prompt"][-1] == {"role": "user", "content": "Say something about it."}
    assert demonstration_row["prompt"][0]["role"] == "system"
    assert loaded["sft"].num_rows == 4  # one row per continued turn, the demonstration included
    assert "It is sweet, and good for you." in {row["messages"][-1]["content"] for row in loaded["sft"]}
    assert loaded["prompt_only"].num_rows == 4
    assert all(row["prompt"][-1]["role"] == "user" for row in loaded["prompt_only"])
    assert loaded["kto"].num_rows >= 4
    [tree] = loaded["tree"]
    assert tree["conversation_id"] == conversation.external_id

    tokenizer = offline_tokenizer(
        message["content"] for row in loaded["trl"] for key in ("prompt", "chosen", "rejected") for message in row[key]
    )
    assert dpo_trained(loaded["trl"], tokenizer, tmp_path, steps=1) == 1
