import io
import json

import pytest

from labeler.conversations import comparison_messages
from labeler.importing import conversations_import
from labeler.models import Comparison, Conversation
from labeler.tests.importing import jsonl, user

pytestmark = pytest.mark.django_db


def prompt_of(comparison: Comparison) -> list[tuple[str, str]]:
    return [(message["role"], message["content"]) for message in comparison_messages(comparison_id=comparison.id)]


def test_messages_become_a_tree_and_a_pending_comparison(project):
    record = {
        "id": "c1",
        "messages": [
            {"role": "system", "content": "Be brief."},
            user("Hi"),
            {"role": "assistant", "content": "Hello!"},
            user("What is 2+2?"),
        ],
        "metadata": {"source": "forum", "tags": ["math"]},
    }
    result = conversations_import(project=project, source=jsonl(record))

    comparison = Comparison.objects.get()
    assert (result.created, result.pending, result.ready) == (1, 1, 0)
    assert comparison.status == Comparison.Status.PENDING
    assert prompt_of(comparison) == [
        ("system", "Be brief."),
        ("user", "Hi"),
        ("assistant", "Hello!"),
        ("user", "What is 2+2?"),
    ]
    assert comparison.conversation.metadata == {"source": "forum", "tags": ["math"]}


def test_a_prompt_is_a_single_user_turn(project):
    conversations_import(project=project, source=jsonl({"id": 7, "prompt": "Why is the sky blue?"}))
    comparison = Comparison.objects.get()
    assert comparison.conversation.external_id == "7"
    assert prompt_of(comparison) == [("user", "Why is the sky blue?")]


def test_pre_generated_candidates_make_a_ready_comparison(project):
    record = {"id": "c", "messages": [user("Pick one")], "candidates": ["A", "B", "C"]}
    result = conversations_import(project=project, source=jsonl(record))
    comparison = Comparison.objects.get()
    assert result.ready == 1
    assert comparison.status == Comparison.Status.READY
    assert [(c.sample_index, c.text, c.source) for c in comparison.candidates.all()] == [
        (0, "A", "import"),
        (1, "B", "import"),
        (2, "C", "import"),
    ]


def test_an_hh_pair_becomes_a_prompt_and_two_candidates(project):
    record = {
        "chosen": "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Tell me a joke\n\nAssistant: Why did the chicken…",
        "rejected": "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Tell me a joke\n\nAssistant: No.",
    }
    conversations_import(project=project, source=jsonl(record))
    comparison = Comparison.objects.get()
    assert prompt_of(comparison) == [("user", "Hi"), ("assistant", "Hello"), ("user", "Tell me a joke")]
    assert [c.text for c in comparison.candidates.all()] == ["Why did the chicken…", "No."]
    assert comparison.status == Comparison.Status.READY
    assert comparison.conversation.metadata["hh_rlhf"] == {"chosen_candidate": 0, "rejected_candidate": 1}
    assert comparison.conversation.external_id.startswith("hh-")


def test_an_hh_chosen_transcript_alone_gives_only_the_prompt(project):
    conversations_import(project=project, source=jsonl({"chosen": "\n\nHuman: Q?\n\nAssistant: A."}))
    comparison = Comparison.objects.get()
    assert prompt_of(comparison) == [("user", "Q?")]
    assert comparison.status == Comparison.Status.PENDING
    assert not comparison.candidates.exists()


def test_a_json_array_is_accepted(project):
    source = io.BytesIO(json.dumps([{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}]).encode())
    assert conversations_import(project=project, source=source).created == 2


def test_odd_unicode_is_kept_exactly(project):
    text = "שלום \u202eevil\u202c zero\u200bwidth 👩‍👩‍👧 <script>alert(1)</script> e\u0301"
    conversations_import(project=project, source=jsonl({"id": "ü-1", "prompt": text}))
    comparison = Comparison.objects.get()
    assert comparison.prompt_message.content == text
    assert Conversation.objects.get().external_id == "ü-1"


def test_a_byte_order_mark_is_ignored(project):
    assert (
        conversations_import(project=project, source=io.BytesIO(b'\xef\xbb\xbf{"id": "a", "prompt": "x"}')).created == 1
    )
