"""Each format from hand-written native rows: ties, flags, a system prompt, unicode, several turns."""

from datetime import date

from exports.formats import (
    FORMAT_LABELS,
    FORMATS,
    demonstration_pairs,
    export_lines,
    hh_transcript,
    kto_labels,
    preference_pairs,
    to_kto,
    to_openai_dpo,
    to_prompt_only,
    to_sft,
    to_tree,
    to_trl,
)
from exports.options import ExportOptions

SYSTEM = {"role": "system", "content": "Answer in one line."}
TURNS = [
    {"role": "user", "content": "Bonjour ! Ça va ? 👋"},
    {"role": "assistant", "content": "Oui, merci."},
    {"role": "user", "content": "Et le 東京 weather?"},
]


def row(**changes) -> dict:
    base = {
        "schema_version": 2,
        "comparison_id": 7,
        "project": "demo",
        "project_kind": "comparison",
        "conversation_id": "conv-7",
        "metadata": {},
        "prompt": [SYSTEM, *TURNS],
        "prompt_message_ids": [10, 11, 12, 13],
        "candidates": [
            {"id": 1, "text": "Sunny ☀️", "endpoint": "a"},
            {"id": 2, "text": "Rainy", "endpoint": "a"},
            {"id": 3, "text": "I can't say", "endpoint": "b"},
        ],
        "rankings": [
            {"tiers": [[1], [2, 3]], "flags": {"3": ["unnecessary_refusal"]}},
            {"tiers": [[1], [2], [3]], "flags": {}},
        ],
        "skips": 0,
        "consensus": [[1], [2, 3]],
        "agreement": 2 / 3,
        "none_acceptable": False,
        "completed_at": "2026-11-20T10:00:00+00:00",
        "continuations": [],
        "conversation_rating": None,
        "conversation_ended_at": None,
    }
    return {**base, **changes}


def test_ties_never_become_pairs():
    assert preference_pairs([[1], [2, 3]]) == [(1, 2, 1), (1, 3, 1)]
    assert preference_pairs([[1, 2, 3]]) == []


def test_best_vs_rest_needs_a_single_best():
    assert preference_pairs([[2], [1], [3]], expansion="best_vs_rest") == [(2, 1, 1), (2, 3, 2)]
    assert preference_pairs([[1, 2], [3]], expansion="best_vs_rest") == []


def test_trl_rows_are_conversational_with_an_explicit_prompt():
    lines = list(to_trl(row()))
    assert lines == [
        {
            "prompt": [SYSTEM, *TURNS],
            "chosen": [{"role": "assistant", "content": "Sunny ☀️"}],
            "rejected": [{"role": "assistant", "content": "Rainy"}],
            "comparison_id": 7,
            "group_id": "conv-7",
            "annotator_count": 2,
            "agreement": 2 / 3,
            "question": "helpful",
            "provenance": "sampled",
        },
        {
            "prompt": [SYSTEM, *TURNS],
            "chosen": [{"role": "assistant", "content": "Sunny ☀️"}],
            "rejected": [{"role": "assistant", "content": "I can't say"}],
            "comparison_id": 7,
            "group_id": "conv-7",
            "annotator_count": 2,
            "agreement": 2 / 3,
            "question": "helpful",
            "provenance": "sampled",
        },
    ]


def test_margin_is_on_every_trl_row_or_on_none():
    assert all("margin" in line for line in to_trl(row(), expansion="individual", margin=True))
    assert not any("margin" in line for line in to_trl(row(), expansion="individual"))
    assert [line["margin"] for line in to_trl(row(consensus=[[1], [2], [3]]), margin=True)] == [1.0, 2.0, 1.0]


def test_individual_expansion_takes_each_rankings_pairs():
    pairs = [
        (line["chosen"][0]["content"], line["rejected"][0]["content"]) for line in to_trl(row(), expansion="individual")
    ]
    assert pairs == [
        ("Sunny ☀️", "Rainy"),
        ("Sunny ☀️", "I can't say"),
        ("Sunny ☀️", "Rainy"),
        ("Sunny ☀️", "I can't say"),
        ("Rainy", "I can't say"),
    ]


def test_an_empty_prompt_yields_no_trl_row():
    assert list(to_trl(row(prompt=[]))) == []


def test_hh_keeps_the_system_prompt_as_the_preamble():
    assert hh_transcript([SYSTEM, *TURNS]) == (
        "Answer in one line.\n\nHuman: Bonjour ! Ça va ? 👋\n\nAssistant: Oui, merci.\n\nHuman: Et le 東京 weather?"
    )
    [first, _] = export_lines([row()], format="hh", options=ExportOptions())
    assert first["chosen"].endswith("\n\nHuman: Et le 東京 weather?\n\nAssistant: Sunny ☀️")
    assert first["rejected"].endswith("\n\nAssistant: Rainy")


def test_openai_dpo_has_exactly_its_three_keys():
    [first, _] = to_openai_dpo(row())
    assert first == {
        "input": {"messages": [SYSTEM, *TURNS]},
        "preferred_output": [{"role": "assistant", "content": "Sunny ☀️"}],
        "non_preferred_output": [{"role": "assistant", "content": "Rainy"}],
    }


def test_sft_takes_the_single_best_answer():
    assert list(to_sft(row())) == [{"messages": [SYSTEM, *TURNS, {"role": "assistant", "content": "Sunny ☀️"}]}]
    assert list(to_sft(row(consensus=[[1, 2], [3]]))) == []
    assert list(to_sft(row(none_acceptable=True))) == []


def test_filters_drop_flagged_unagreed_and_skipped_comparisons():
    def kept(**filters):
        return len(list(export_lines([row()], format="native", options=ExportOptions(**filters))))

    assert kept() == 1
    assert kept(exclude_flag="unnecessary_refusal") == 0
    assert kept(exclude_flag="unnecessary_refusal", exclude_flag_mode="most") == 1
    assert kept(min_agreement=0.9) == 0
    assert kept(min_rankings=3) == 0
    assert kept(completed_after=date(2026, 11, 21)) == 0
    assert len(list(export_lines([row(skips=1)], format="native", options=ExportOptions(exclude_skipped=True)))) == 0


def test_the_endpoint_filter_keeps_only_that_endpoints_candidates():
    lines = list(export_lines([row()], format="trl", options=ExportOptions(endpoint="a")))
    assert [(line["chosen"][0]["content"], line["rejected"][0]["content"]) for line in lines] == [("Sunny ☀️", "Rainy")]


def test_sft_prefers_an_answer_a_trainer_wrote():
    written = {"id": 4, "text": "Humid, 25 °C, rain most afternoons.", "endpoint": None, "source": "trainer"}
    candidates = [*row()["candidates"], written]
    assert list(to_sft(row(candidates=candidates, none_acceptable=True))) == [
        {"messages": [SYSTEM, *TURNS, {"role": "assistant", "content": "Humid, 25 °C, rain most afternoons."}]}
    ]


def test_no_format_yields_a_line_without_a_prompt():
    for format in ("trl", "hh", "openai_dpo", "sft"):
        assert list(export_lines([row(prompt=[])], format=format, options=ExportOptions())) == [], format


def test_a_multi_turn_prompt_ends_with_the_user_turn_in_every_format():
    [trl, _] = export_lines([row()], format="trl", options=ExportOptions())
    assert trl["prompt"][-1] == TURNS[-1] and trl["prompt"][-2]["role"] == "assistant"
    [dpo, _] = export_lines([row()], format="openai_dpo", options=ExportOptions())
    assert dpo["input"]["messages"][-1] == TURNS[-1]
    [hh, _] = export_lines([row()], format="hh", options=ExportOptions())
    assert "\n\nAssistant: Oui, merci.\n\nHuman: Et le 東京 weather?\n\nAssistant: Sunny ☀️" in hh["chosen"]


def test_jsonl_keeps_unicode_as_utf8_one_object_per_line():
    from exports.services import jsonl

    assert (
        b"".join(jsonl(iter([{"text": "東京 ☀️"}, {"text": "a\nb"}])))
        == '{"text":"東京 ☀️"}\n{"text":"a\\nb"}\n'.encode()
    )


DEMONSTRATION = {
    "message_id": 14,
    "candidate_id": 2,
    "is_demonstration": True,
    "text": "Humid and rainy: tsuyu.",
    "author": "ann-1",
    "parent_id": 13,
}
CONTINUED = {
    "message_id": 15,
    "candidate_id": 1,
    "is_demonstration": False,
    "text": "Sunny ☀️",
    "author": None,
    "parent_id": 13,
}


def chat_row(**changes) -> dict:
    return row(
        **{"project_kind": "chat", "continuations": [DEMONSTRATION, CONTINUED], "conversation_rating": 5, **changes}
    )


def test_every_format_has_a_label_for_the_export_page():
    assert list(FORMAT_LABELS) == list(FORMATS)


def test_a_demonstration_is_chosen_over_every_sampled_candidate_one_tier_above_the_best():
    assert [
        (demonstration["message_id"], loser, margin) for demonstration, loser, margin in demonstration_pairs(chat_row())
    ] == [(14, 1, 1), (14, 2, 2), (14, 3, 2)]
    assert demonstration_pairs(chat_row(prompt=[])) == []
    written = {"id": 4, "text": "Mine.", "endpoint": None, "source": "trainer"}
    assert [loser for _, loser, _ in demonstration_pairs(chat_row(candidates=[*row()["candidates"], written]))] == [
        1,
        2,
        3,
    ]


def test_trl_demonstration_pairs_have_the_columns_of_every_other_pair():
    lines = list(to_trl(chat_row(), margin=True))
    assert [
        (line["chosen"][0]["content"], line["rejected"][0]["content"], line["margin"], line["provenance"])
        for line in lines
    ] == [
        ("Sunny ☀️", "Rainy", 1.0, "sampled"),
        ("Sunny ☀️", "I can't say", 1.0, "sampled"),
        ("Humid and rainy: tsuyu.", "Sunny ☀️", 1.0, "demonstration"),
        ("Humid and rainy: tsuyu.", "Rainy", 2.0, "demonstration"),
        ("Humid and rainy: tsuyu.", "I can't say", 2.0, "demonstration"),
    ]
    assert len({tuple(line) for line in lines}) == 1
    assert not any("margin" in line for line in to_trl(chat_row()))


def test_kto_labels_split_at_the_median_leaving_the_middle_out():
    assert kto_labels([[1], [2], [3]]) == {1: True, 3: False}
    assert kto_labels([[1], [2], [3], [4]]) == {1: True, 2: True, 3: False, 4: False}
    assert kto_labels([[1], [2, 3]]) == {1: True, 2: False, 3: False}
    assert kto_labels([[1, 2], [3]]) == {1: True, 2: True, 3: False}
    assert kto_labels([[1, 2, 3]]) == {}
    assert kto_labels([[1], [2], [3]], none_acceptable=True) == {1: False, 2: False, 3: False}


def test_kto_rows_are_trls_unpaired_form_with_provenance():
    lines = list(to_kto(chat_row()))
    assert lines[0] == {
        "prompt": [SYSTEM, *TURNS],
        "completion": [{"role": "assistant", "content": "Sunny ☀️"}],
        "label": True,
        "comparison_id": 7,
        "group_id": "conv-7",
        "annotator_count": 2,
        "agreement": 2 / 3,
        "question": "helpful",
        "provenance": "sampled",
    }
    assert [(line["completion"][0]["content"], line["label"], line["provenance"]) for line in lines] == [
        ("Sunny ☀️", True, "sampled"),
        ("Rainy", False, "sampled"),
        ("I can't say", False, "sampled"),
        ("Humid and rainy: tsuyu.", True, "demonstration"),
    ]
    assert [line["label"] for line in to_kto(chat_row(none_acceptable=True))] == [False, False, False, True]


def test_sft_of_a_chat_turn_is_a_line_per_continuation_and_none_without_one():
    assert list(to_sft(chat_row())) == [
        {"messages": [SYSTEM, *TURNS, {"role": "assistant", "content": "Humid and rainy: tsuyu."}]},
        {"messages": [SYSTEM, *TURNS, {"role": "assistant", "content": "Sunny ☀️"}]},
    ]
    assert list(to_sft(chat_row(continuations=[]))) == []


def test_prompt_only_is_the_prompt_alone():
    assert list(to_prompt_only(row())) == [{"prompt": [SYSTEM, *TURNS]}]
    assert list(to_prompt_only(row(prompt=[], prompt_message_ids=[]))) == []


def test_a_tree_line_nests_candidates_under_their_turn_and_the_conversation_under_the_continued_one():
    later = chat_row(
        comparison_id=8,
        prompt=[SYSTEM, *TURNS, {"role": "assistant", "content": "Sunny ☀️"}, {"role": "user", "content": "Sure?"}],
        prompt_message_ids=[10, 11, 12, 13, 15, 16],
        candidates=[{"id": 5, "text": "Yes.", "model": "m"}, {"id": 6, "text": "No.", "model": "m"}],
        consensus=[[6], [5]],
        continuations=[],
    )
    [line] = to_tree([later, chat_row()])  # the later turn came first: a tree waits for every row
    assert [line[key] for key in ("message_tree_id", "conversation_id", "project", "rating")] == [
        10,
        "conv-7",
        "demo",
        5,
    ]
    system = line["prompt"]
    [first] = system["replies"]
    [answered] = first["replies"]
    [turn] = answered["replies"]
    assert (turn["message_id"], turn["comparison_id"], turn["text"]) == (13, 7, "Et le 東京 weather?")
    sunny, rainy, unsure, written = turn["replies"]
    assert (sunny["message_id"], sunny["candidate_id"], sunny["rank"]) == (15, 1, 0)
    assert (rainy["message_id"], rainy["rank"], unsure["rank"], rainy["replies"]) == (None, 1, 1, [])
    assert (written["message_id"], written["is_demonstration"], written["edited_from"], written["author"]) == (
        14,
        True,
        2,
        "ann-1",
    )
    [follow_up] = sunny["replies"]
    assert (follow_up["text"], follow_up["comparison_id"]) == ("Sure?", 8)
    assert [(reply["text"], reply["rank"]) for reply in follow_up["replies"]] == [("Yes.", 1), ("No.", 0)]
    assert set(sunny) == set(system) == set(follow_up)


def test_none_acceptable_comparisons_are_left_out_on_request():
    rows = [row(), row(comparison_id=8, none_acceptable=True)]
    kept = export_lines(rows, format="native", options=ExportOptions(none_acceptable="leave_out"))
    assert [line["comparison_id"] for line in kept] == [7]
    assert len(list(export_lines(rows, format="trl", options=ExportOptions()))) == 4


def test_none_acceptable_comparisons_are_kept_marked_on_request():
    rows = [row(), row(comparison_id=8, none_acceptable=True)]
    for format in ("trl", "hh"):
        lines = list(export_lines(rows, format=format, options=ExportOptions(none_acceptable="keep_marked")))
        assert [(line["comparison_id"], line["none_acceptable"]) for line in lines] == [
            (7, False),
            (7, False),
            (8, True),
            (8, True),
        ], format
    [dpo, *_] = export_lines(rows, format="openai_dpo", options=ExportOptions(none_acceptable="keep_marked"))
    assert set(dpo) == {"input", "preferred_output", "non_preferred_output"}
