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
    assert problems_of(project, jsonl(record)) == ["line 1, candidates: has 1 candidate; this project takes 2 to 4"]


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


def test_it_refuses_an_hh_transcript_without_a_final_assistant_turn_unless_asked(project):
    [problem] = problems_of(project, jsonl({"chosen": "\n\nHuman: Only a question?"}))
    assert problem == (
        "line 1, chosen: ends with a Human turn, so there is no reply to rank"
        " (keep unanswered prompts to sample replies for them)"
    )


def test_it_refuses_an_hh_transcript_that_does_not_start_with_a_turn(project):
    [problem] = problems_of(project, jsonl({"chosen": "Human: Hi\n\nAssistant: Hello"}))
    assert problem == 'line 1, chosen: must start with "\\n\\nHuman: "'


def test_it_refuses_two_hh_turns_of_one_speaker_in_a_row(project):
    record = {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello\n\nAssistant: Again"}
    assert problems_of(project, jsonl(record)) == [
        "line 1, chosen turn 3: a second Assistant turn in a row; Human and Assistant turns must alternate"
    ]


def test_it_refuses_two_messages_of_one_role_in_a_row(project):
    record = {"id": "x", "messages": [user("a"), user("b")]}
    assert problems_of(project, jsonl(record)) == [
        "line 1, messages[1].role: a second user turn in a row; user and assistant turns must alternate"
    ]


def test_it_refuses_hh_transcripts_that_end_differently(project):
    record = {"chosen": "\n\nHuman: Q\n\nAssistant: A", "rejected": "\n\nHuman: Q"}
    assert problems_of(project, jsonl(record)) == [
        "line 1, rejected: must end as `chosen` does, with an Assistant turn"
    ]


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff"])
def test_it_refuses_a_lone_surrogate_with_its_line_and_field(project, escape):
    line = '{"id": "x", "messages": [{"role": "user", "content": "a' + escape + 'b"}]}'
    assert problems_of(project, jsonl(GOOD, line)) == [
        f"line 2, messages[0].content: contains a lone surrogate (U+{escape[-4:].upper()}),"
        " which is not a character and cannot be stored"
    ]


def test_a_surrogate_pair_is_one_character_and_accepted(project):
    line = '{"id": "x", "prompt": "\\ud83d\\ude00"}'
    assert conversations_import(project=project, source=jsonl(line)).created == 1


@pytest.mark.parametrize(
    ("encoding", "named"),
    [("utf-16", "UTF-16 LE"), ("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE"), ("utf-32", "UTF-32 LE")],
)
def test_it_names_a_utf16_or_utf32_file(project, encoding, named):
    content = (json.dumps(GOOD) + "\n").encode(encoding)
    assert problems_of(project, io.BytesIO(content)) == [
        f"file: is encoded as {named}; save it as UTF-8 (RankLab reads UTF-8 only)"
    ]


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


@pytest.mark.parametrize("content", [b"", b"\n\n", b"[]"])
def test_an_empty_file_is_refused(project, content):
    assert problems_of(project, io.BytesIO(content)) == ["file: holds no conversation"]


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (
            {"conversations": [{"from": "human", "value": "hi"}, {"from": "bot", "value": "x"}]},
            'line 2, conversations[1].from: unknown speaker "bot" (use human, gpt or system)',
        ),
        (
            {"conversations": [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]},
            "line 2, conversations[1].from: a second human turn in a row; human and gpt turns must alternate",
        ),
        (
            {"conversations": [{"from": "human", "value": "a"}], "chosen": {"from": "gpt", "value": "b"}},
            "line 2, rejected: is missing (a ShareGPT preference record has both `chosen` and `rejected`)",
        ),
        (
            {"prompt": [user("q")], "chosen": [{"role": "assistant", "content": "a"}], "rejected": "b"},
            "line 2, rejected: expected a list like `chosen`, got a string",
        ),
        (
            {
                "chosen": [
                    user("q"),
                    {"role": "assistant", "content": "a"},
                    user("more"),
                    {"role": "assistant", "content": "b"},
                ],
                "rejected": [user("q"), {"role": "assistant", "content": "c"}],
            },
            "line 2, chosen: must hold exactly one assistant turn after the prompt",
        ),
        (
            {"chosen": "Blue.", "rejected": "Green."},
            "line 2, chosen: shares no prompt with `rejected`; give the prompt as `prompt`",
        ),
        ({"prompt": "q", "completion": "a", "label": "yes"}, "line 2, label: expected true or false, got a string"),
        (
            {"message_tree_id": "t", "prompt": {"message_id": "p", "role": "prompter", "text": "q", "replies": []}},
            "line 2, prompt: has no prompter message with two or more assistant replies to rank",
        ),
        (
            {
                "message_tree_id": "t",
                "prompt": {
                    "message_id": "p",
                    "role": "prompter",
                    "text": "q",
                    "replies": [{"message_id": "a", "role": "bot", "text": "x"}],
                },
            },
            'line 2, prompt.replies[0].role: unknown role "bot" (use prompter or assistant)',
        ),
        (
            {"prompt": "q", "completion": "a"},
            "line 2, label: is missing (a TRL unpaired record has `prompt`, `completion` and `label`)",
        ),
    ],
)
def test_each_source_format_names_the_line_and_field_of_a_problem(project, record, problem):
    assert problems_of(project, jsonl(GOOD, record)) == [problem]


def test_an_unpaired_prompt_needs_at_least_two_completions(project):
    lines = [{"prompt": "q", "completion": "a", "label": True}, {"prompt": "other", "completion": "b", "label": True}]
    assert problems_of(project, jsonl(GOOD, *lines)) == [
        "line 2, prompt: this prompt has 1 completion in the file; ranking them takes 2 to 4",
        "line 3, prompt: this prompt has 1 completion in the file; ranking them takes 2 to 4",
    ]
