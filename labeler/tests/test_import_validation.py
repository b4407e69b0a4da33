"""Every bad input is refused with its line and field, and nothing at all is written."""

import io
import json

import pytest

from labeler.importing import ImportFailed, conversations_import
from labeler.tests.importing import jsonl, rows_written, user

pytestmark = pytest.mark.django_db

GOOD = {"id": "good", "messages": [user("Hi")]}


def problems_of(project, source) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        conversations_import(project=project, source=source)
    assert rows_written() == 0
    return [str(problem) for problem in failure.value.problems]


def test_it_refuses_invalid_utf8(project):
    assert problems_of(project, jsonl(GOOD, b'{"id": "x", "prompt": "caf\xe9"}')) == [
        "line 2: is not valid UTF-8 (byte 0xe9 at column 27)"
    ]


def test_it_refuses_invalid_json(project):
    [problem] = problems_of(project, jsonl(GOOD, '{"id": "x", "prompt": }'))
    assert problem.startswith("line 2: invalid JSON: Expecting value (column 23)")


def test_it_refuses_a_line_that_is_not_an_object(project):
    assert problems_of(project, jsonl(GOOD, [1, 2])) == ["line 2: expected a JSON object, got a list"]


def test_it_refuses_an_unknown_shape(project):
    [problem] = problems_of(project, jsonl({"id": "x", "text": "hello"}))
    assert problem.startswith("line 1: wrong shape")


def test_it_refuses_an_unknown_role(project):
    record = {
        "id": "x",
        "messages": [user("a"), {"role": "assistant", "content": "b"}, {"role": "bot", "content": "c"}],
    }
    assert problems_of(project, jsonl(record)) == [
        'line 1, messages[2].role: unknown role "bot" (use system, user or assistant)'
    ]


def test_it_refuses_empty_content(project):
    record = {"id": "x", "messages": [{"role": "system", "content": "  "}, user("hi")]}
    assert problems_of(project, jsonl(GOOD, record)) == ["line 2, messages[0].content: is empty"]


def test_it_refuses_a_last_turn_not_from_the_user(project):
    record = {"id": "x", "messages": [user("hi"), {"role": "assistant", "content": "hello"}]}
    assert problems_of(project, jsonl(record)) == [
        "line 1, messages[1].role: the last turn must be from the user, not the assistant"
    ]


def test_it_refuses_too_few_candidates(project):
    record = {"id": "x", "messages": [user("hi")], "candidates": ["only one"]}
    assert problems_of(project, jsonl(record)) == ["line 1, candidates: has 1 candidates; this project takes 2 to 4"]


def test_it_refuses_too_many_candidates(project):
    record = {"id": "x", "messages": [user("hi")], "candidates": ["a", "b", "c", "d", "e"]}
    assert problems_of(project, jsonl(record)) == ["line 1, candidates: has 5 candidates; this project takes 2 to 4"]


def test_it_refuses_duplicate_ids_within_the_file(project):
    assert problems_of(project, jsonl(GOOD, {"id": "other", "prompt": "x"}, GOOD)) == [
        "line 3, id: duplicate id 'good' (first at line 1)"
    ]


def test_it_refuses_nul_characters(project):
    record = {"id": "x", "messages": [user("a\u0000b")]}
    assert problems_of(project, jsonl(record)) == [
        "line 1, messages[0].content: contains a NUL character (U+0000), which cannot be stored"
    ]


def test_it_refuses_an_oversized_file(project, settings):
    settings.RANKLAB_IMPORT_MAX_FILE_BYTES = 200
    records = [{"id": f"c{n}", "prompt": "A question of some length?"} for n in range(20)]
    assert problems_of(project, jsonl(*records)) == ["file: is larger than the limit of 200 bytes"]


def test_it_refuses_an_oversized_message(project, settings):
    settings.RANKLAB_IMPORT_MAX_MESSAGE_CHARS = 10
    assert problems_of(project, jsonl({"id": "x", "prompt": "x" * 11})) == [
        "line 1, prompt: is 11 characters long; the limit is 10"
    ]


def test_it_refuses_a_missing_id(project):
    assert problems_of(project, jsonl({"messages": [user("hi")]})) == ["line 1, id: is missing"]


def test_it_refuses_an_hh_record_whose_two_transcripts_disagree(project):
    record = {"chosen": "\n\nHuman: A?\n\nAssistant: yes", "rejected": "\n\nHuman: B?\n\nAssistant: no"}
    assert problems_of(project, jsonl(record)) == [
        "line 1, rejected: its turns before the last Assistant turn differ from those of `chosen`"
    ]


def test_it_refuses_an_hh_transcript_without_a_final_assistant_turn(project):
    [problem] = problems_of(project, jsonl({"chosen": "\n\nHuman: Only a question?"}))
    assert problem == "line 1, chosen: must end with a Human turn followed by an Assistant turn"


def test_it_lists_every_problem_up_to_the_limit(project, settings):
    settings.RANKLAB_IMPORT_MAX_ERRORS = 3
    with pytest.raises(ImportFailed) as failure:
        conversations_import(project=project, source=jsonl(*["{"] * 10))
    assert [p.where for p in failure.value.problems] == ["line 1", "line 2", "line 3"]
    assert failure.value.truncated
    assert rows_written() == 0


def test_a_json_array_names_the_item(project):
    source = io.BytesIO(json.dumps([GOOD, {"id": "y", "messages": "hi"}]).encode())
    assert problems_of(project, source) == ["item 2, messages: expected a list, got a string"]


def test_an_empty_file_is_refused(project):
    assert problems_of(project, io.BytesIO(b"\n\n")) == ["file: holds no conversation"]
