"""What real HH data sets hold is imported as it is: empty turns, unanswered prompts, spacing."""

import pytest

from labeler.importing import ImportFailed, conversations_import
from labeler.models import Comparison
from labeler.parsing import ImportOptions
from labeler.tests.importing import jsonl
from labeler.tests.test_import_shapes import prompt_of

pytestmark = pytest.mark.django_db


def test_an_empty_turn_is_kept_as_an_empty_message_and_noted(project):
    record = {
        "id": "e",
        "chosen": "\n\nHuman: \n\nAssistant: Pardon?\n\nHuman: Hi\n\nAssistant: Hello",
        "rejected": "\n\nHuman: \n\nAssistant: Pardon?\n\nHuman: Hi\n\nAssistant: ",
    }
    result = conversations_import(project=project, source=jsonl({"id": "ok", "prompt": "x"}, record))
    comparison = Comparison.objects.get(conversation__external_id="e")
    assert prompt_of(comparison) == [("user", ""), ("assistant", "Pardon?"), ("user", "Hi")]
    assert [c.text for c in comparison.candidates.all()] == ["Hello", ""]
    assert [str(note) for note in result.notes] == [
        "line 2, chosen turn 1: is empty; kept as an empty message",
        "line 2, rejected turn 1: is empty; kept as an empty message",
        "line 2, rejected turn 4: is empty; kept as an empty message",
    ]
    assert "3 empty turns kept as empty messages" in result.summary


def test_spacing_after_a_speaker_tag_is_kept(project):
    record = {"chosen": "\n\nHuman:  Hi \n\nAssistant:  I enjoy it.", "rejected": "\n\nHuman:  Hi \n\nAssistant: No"}
    conversations_import(project=project, source=jsonl(record))
    comparison = Comparison.objects.get()
    assert prompt_of(comparison) == [("user", " Hi ")]
    assert [c.text for c in comparison.candidates.all()] == [" I enjoy it.", "No"]


def test_text_before_the_first_turn_is_the_system_prompt(project):
    conversations_import(project=project, source=jsonl({"chosen": "Be brief.\n\nHuman: Q\n\nAssistant: A"}))
    assert prompt_of(Comparison.objects.get()) == [("system", "Be brief."), ("user", "Q")]


def test_a_transcript_ending_with_a_human_turn_is_kept_as_a_prompt_when_asked(project):
    transcript = "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: And now?"
    record = {"id": "u", "chosen": transcript, "rejected": transcript}
    with pytest.raises(ImportFailed):
        conversations_import(project=project, source=jsonl(record))
    result = conversations_import(project=project, source=jsonl(record), options=ImportOptions(keep_unanswered=True))
    comparison = Comparison.objects.get()
    assert (result.created, result.pending) == (1, 1)
    assert prompt_of(comparison) == [("user", "Hi"), ("assistant", "Hello"), ("user", "And now?")]
    assert comparison.status == Comparison.Status.PENDING
    assert not comparison.candidates.exists()
    assert "hh_rlhf" not in comparison.conversation.metadata
