"""Every format of a chat conversation (exports/tests/chat_data.py), from the database through the pipeline."""

from datetime import date, datetime

import pytest

from exports.formats import export_lines
from exports.native import annotator_pseudonym, native_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from exports.tests.chat_data import DEMONSTRATION, SYSTEM, TURNS, chat_project
from exports.tests.ranked import docs_project
from labeler.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat(project):
    return chat_project(project)


def exported(project, format: str, **options) -> list[dict]:
    rows = native_rows(project=project, comparisons=comparisons_for_export(project=project))
    return list(export_lines(rows, format=format, options=ExportOptions(**options)))


def user(turn: str) -> dict:
    return {"role": "user", "content": TURNS[turn][0]}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": text}


def answer(turn: str, index: int) -> str:
    return TURNS[turn][1][index]


SYSTEM_MESSAGE = {"role": "system", "content": SYSTEM}
PROMPTS = {
    "1": [SYSTEM_MESSAGE, user("1")],
    "2": [SYSTEM_MESSAGE, user("1"), assistant(answer("1", 0)), user("2")],
    "3": [SYSTEM_MESSAGE, user("1"), assistant(answer("1", 0)), user("2"), assistant(DEMONSTRATION), user("3")],
    "2b": [SYSTEM_MESSAGE, user("1"), assistant(answer("1", 0)), user("2b")],
}


def test_native_rows_of_a_chat_carry_the_path_the_continuations_and_the_rating(chat):
    rows = {row["comparison_id"]: row for row in exported(chat.project, "native")}
    ids = {turn: comparison.id for turn, comparison in chat.comparisons.items()}
    assert list(rows) == [ids["1"], ids["2"], ids["3"], ids["2b"]]
    m, c = chat.messages, chat.candidates
    for turn, row in zip(("1", "2", "3", "2b"), rows.values(), strict=True):
        assert row["schema_version"] == 3
        assert row["project_kind"] == "chat"
        assert row["prompt"] == PROMPTS[turn]
        assert row["conversation_rating"] == 6
        assert datetime.fromisoformat(row["conversation_ended_at"]) == chat.conversation.ended_at
    assert rows[ids["3"]]["prompt_message_ids"] == [
        m[key].id for key in ("root", "turn 1", "answer 1", "turn 2", "answer 2", "turn 3")
    ]
    assert rows[ids["1"]]["continuations"] == [
        {
            "message_id": m["answer 1"].id,
            "candidate_id": c["1"][0].id,
            "is_demonstration": False,
            "text": answer("1", 0),
            "author": None,
            "parent_id": m["turn 1"].id,
        }
    ]
    assert rows[ids["2"]]["continuations"] == [
        {
            "message_id": m["answer 2"].id,
            "candidate_id": c["2"][1].id,
            "is_demonstration": True,
            "text": DEMONSTRATION,
            "author": annotator_pseudonym(project_id=chat.project.id, user_id=chat.author.id),
            "parent_id": m["turn 2"].id,
        }
    ]
    assert rows[ids["2b"]]["continuations"] == []
    assert rows[ids["2b"]]["none_acceptable"] is True
    author = rows[ids["2"]]["continuations"][0]["author"]
    assert author in {ranking["annotator"] for ranking in rows[ids["2"]]["rankings"]}


def test_an_imported_rows_chat_keys_are_empty():
    project = ProjectFactory()
    docs_project(project)
    [row] = exported(project, "native")
    assert row["project_kind"] == "comparison"
    assert len(row["prompt_message_ids"]) == len(row["prompt"]) == 2
    assert (row["continuations"], row["conversation_rating"], row["conversation_ended_at"]) == ([], None, None)


def test_trl_adds_a_demonstration_pair_over_each_sampled_candidate(chat):
    lines = exported(chat.project, "trl", margin=True)
    assert len(lines) == 2 + 3 + 3 + 2 + 3
    keys = set(lines[0])
    assert all(set(line) == keys for line in lines)
    second = [line for line in lines if line["comparison_id"] == chat.comparisons["2"].id]
    assert [
        (line["chosen"][0]["content"], line["rejected"][0]["content"], line["margin"], line["provenance"])
        for line in second
    ] == [
        (answer("2", 1), answer("2", 0), 1.0, "sampled"),
        (answer("2", 1), answer("2", 2), 2.0, "sampled"),
        (answer("2", 0), answer("2", 2), 1.0, "sampled"),
        (DEMONSTRATION, answer("2", 0), 2.0, "demonstration"),
        (DEMONSTRATION, answer("2", 1), 1.0, "demonstration"),
        (DEMONSTRATION, answer("2", 2), 3.0, "demonstration"),
    ]
    assert all(line["prompt"] == PROMPTS["2"] and line["group_id"] == "chat-kyoto" for line in second)
    assert {line["provenance"] for line in lines if line not in second} == {"sampled"}


def test_sft_follows_the_paths_the_trainer_continued_demonstrations_included(chat):
    assert exported(chat.project, "sft") == [
        {"messages": [*PROMPTS["1"], assistant(answer("1", 0))]},
        {"messages": [*PROMPTS["2"], assistant(DEMONSTRATION)]},
        {"messages": [*PROMPTS["3"], assistant(answer("3", 2))]},
    ]


def test_kto_labels_each_answer_by_the_median_and_demonstrations_desirable(chat):
    lines = exported(chat.project, "kto")
    labelled = [(line["completion"][0]["content"], line["label"], line["provenance"]) for line in lines]
    assert labelled == [
        (answer("1", 0), True, "sampled"),
        (answer("1", 1), False, "sampled"),
        (answer("1", 2), False, "sampled"),
        (answer("2", 1), True, "sampled"),  # the middle one, answer("2", 0), has no label
        (answer("2", 2), False, "sampled"),
        (DEMONSTRATION, True, "demonstration"),
        (answer("3", 0), False, "sampled"),
        (answer("3", 1), False, "sampled"),
        (answer("3", 2), True, "sampled"),
        (answer("2b", 0), False, "sampled"),  # nothing was acceptable
        (answer("2b", 1), False, "sampled"),
        (answer("2b", 2), False, "sampled"),
    ]
    assert [line["prompt"] for line in lines[:3]] == [PROMPTS["1"]] * 3
    assert set(lines[0]) == {
        "prompt",
        "completion",
        "label",
        "comparison_id",
        "group_id",
        "annotator_count",
        "agreement",
        "question",
        "provenance",
    }


def test_prompt_only_is_each_turns_conversation_without_an_answer(chat):
    assert exported(chat.project, "prompt_only") == [{"prompt": PROMPTS[turn]} for turn in ("1", "2", "3", "2b")]


def candidates(node) -> list[tuple]:
    return [(reply["text"], reply["rank"], reply["message_id"]) for reply in node["replies"]]


def test_the_tree_holds_every_branch_candidate_and_continuation(chat):
    [line] = exported(chat.project, "tree")
    m, c = chat.messages, chat.candidates
    assert {key: line[key] for key in ("message_tree_id", "conversation_id", "rating", "metadata")} == {
        "message_tree_id": m["root"].id,
        "conversation_id": "chat-kyoto",
        "rating": 6,
        "metadata": {"scenario": "A trip to Kyoto"},
    }
    root = line["prompt"]
    assert (root["role"], root["text"], root["parent_id"]) == ("system", SYSTEM, None)
    [turn_1] = root["replies"]
    assert (turn_1["message_id"], turn_1["comparison_id"]) == (m["turn 1"].id, chat.comparisons["1"].id)
    assert candidates(turn_1) == [
        (answer("1", 0), 0, m["answer 1"].id),
        (answer("1", 1), 1, None),
        (answer("1", 2), 1, None),
    ]
    continued = turn_1["replies"][0]
    assert (continued["candidate_id"], continued["model"], continued["is_demonstration"]) == (
        c["1"][0].id,
        "smollm2",
        False,
    )
    turn_2, turn_2b = continued["replies"]
    assert (turn_2["text"], turn_2b["text"]) == (TURNS["2"][0], TURNS["2b"][0])
    assert candidates(turn_2) == [
        (answer("2", 0), 1, None),
        (answer("2", 1), 0, None),
        (answer("2", 2), 2, None),
        (DEMONSTRATION, None, m["answer 2"].id),
    ]
    demonstration = turn_2["replies"][3]
    assert (demonstration["is_demonstration"], demonstration["edited_from"]) == (True, c["2"][1].id)
    assert demonstration["author"] == annotator_pseudonym(project_id=chat.project.id, user_id=chat.author.id)
    [turn_3] = demonstration["replies"]
    assert candidates(turn_3) == [
        (answer("3", 0), 1, None),
        (answer("3", 1), 1, None),
        (answer("3", 2), 0, m["answer 3"].id),
    ]
    assert turn_3["replies"][2]["replies"] == []
    assert [reply["replies"] for reply in turn_2b["replies"]] == [[], [], []]


def nodes(tree: dict) -> dict:
    """Every node of a tree line, by message id (a candidate nobody continued: by candidate id)."""
    found, stack = {}, [tree["prompt"]]
    while stack:
        node = stack.pop()
        key = ("message", node["message_id"]) if node["message_id"] else ("candidate", node["candidate_id"])
        found[key] = {name: value for name, value in node.items() if name != "replies"}
        stack.extend(node["replies"])
    return found


def test_trees_of_successive_pulls_merge_by_message_id_into_the_whole_tree(chat):
    rows = list(native_rows(project=chat.project, comparisons=comparisons_for_export(project=chat.project)))
    [whole] = export_lines(rows, format="tree", options=ExportOptions())
    [first] = export_lines(rows[:2], format="tree", options=ExportOptions())
    [second] = export_lines(rows[2:], format="tree", options=ExportOptions())
    merged = nodes(first)
    for key, node in nodes(second).items():
        known = merged.get(key, {})
        merged[key] = {name: known.get(name) if value is None else value for name, value in node.items()}
    assert merged == nodes(whole)


def test_every_chat_format_keeps_the_export_filters(chat):
    assert exported(chat.project, "prompt_only", completed_after=date(2000, 1, 1)) != []
    assert exported(chat.project, "tree", completed_before=date(2000, 1, 1)) == []
    assert exported(chat.project, "sft", endpoint="other") == [{"messages": [*PROMPTS["2"], assistant(DEMONSTRATION)]}]
