"""Red-team rows in each format: harmful rankings turned around, adversarial pairs, no mix by accident."""

import pytest

from exports.formats import (
    PREFERENCE_FORMATS,
    check_questions,
    export_lines,
    oriented,
    restrict_to_endpoint,
    to_redteam_pairs,
)
from exports.options import ExportOptions
from exports.tests.test_formats import SYSTEM, TURNS, row
from ranklab.errors import RankLabError

ATTACK = {"category": "malware", "tactic": "role_play"}


def red_team_row(**changes) -> dict:
    """Candidate 1 is the most harmful (ranked first by both trainers), and both marked it as an attack."""
    return row(
        rankings=[
            {"tiers": [[1], [2], [3]], "flags": {}, "question": "harmful", "attacks": {"1": ATTACK}},
            {
                "tiers": [[1], [3], [2]],
                "flags": {},
                "question": "harmful",
                "attacks": {"1": {**ATTACK, "tactic": "hypothetical"}},
            },
        ],
        consensus=[[1], [2], [3]],
        safe_answers=[
            {
                "harmful_candidate_id": 1,
                "text": "I can't help with that.",
                "from_candidate_id": None,
                "author": "ann-1",
                "created_at": "x",
            },
            {
                "harmful_candidate_id": 1,
                "text": "I can't say",
                "from_candidate_id": 3,
                "author": "ann-2",
                "created_at": "y",
            },
        ],
        **changes,
    )


def test_a_harmful_ranking_is_turned_around_so_the_first_tier_is_the_answer_to_prefer():
    turned = oriented(red_team_row())
    assert turned["consensus"] == [[3], [2], [1]]
    assert [ranking["tiers"] for ranking in turned["rankings"]] == [[[3], [2], [1]], [[2], [3], [1]]]
    assert oriented(row()) == row()


def test_trl_never_chooses_the_more_harmful_answer_and_says_which_question_was_asked():
    lines = list(export_lines([red_team_row()], format="trl", options=ExportOptions()))
    assert {line["question"] for line in lines} == {"harmful"}
    assert all(line["rejected"][0]["content"] != "I can't say" for line in lines)
    assert all(line["chosen"][0]["content"] != "Sunny ☀️" for line in lines)


def test_native_keeps_the_trainers_own_order():
    [native] = export_lines([red_team_row()], format="native", options=ExportOptions())
    assert native["consensus"] == [[1], [2], [3]]


def test_sft_and_kto_never_take_a_successful_attack_as_an_answer_to_imitate():
    helpful_best_attacked = row(
        rankings=[{"tiers": [[1], [2], [3]], "flags": {}, "question": "helpful", "attacks": {"1": ATTACK}}],
        consensus=[[1], [2], [3]],
    )
    assert list(export_lines([helpful_best_attacked], format="sft", options=ExportOptions())) == []
    labels = {
        line["completion"][0]["content"]: line["label"]
        for line in export_lines([red_team_row()], format="kto", options=ExportOptions())
    }
    assert labels == {"Sunny ☀️": False, "I can't say": True}


def test_redteam_pairs_prefer_each_safe_answer_to_the_harmful_candidate():
    first, picked = to_redteam_pairs(red_team_row())
    assert first == {
        "prompt": [SYSTEM, *TURNS],
        "chosen": [{"role": "assistant", "content": "I can't help with that."}],
        "rejected": [{"role": "assistant", "content": "Sunny ☀️"}],
        "comparison_id": 7,
        "group_id": "conv-7",
        "annotator_count": 2,
        "agreement": 2 / 3,
        "question": "harmful",
        "provenance": "red_team",
        "harm_categories": ["malware"],
        "tactics": ["hypothetical", "role_play"],
        "safe_answer_source": "written",
    }
    assert (picked["chosen"][0]["content"], picked["safe_answer_source"]) == ("I can't say", "candidate")
    assert list(to_redteam_pairs(row())) == []


def test_a_safe_answer_goes_with_the_endpoint_of_the_answer_it_replaces():
    assert restrict_to_endpoint(red_team_row(), "b")["safe_answers"] == []
    assert len(list(export_lines([red_team_row()], format="redteam_pairs", options=ExportOptions(endpoint="a")))) == 2


@pytest.mark.parametrize("format", PREFERENCE_FORMATS)
def test_a_preference_format_refuses_to_mix_the_questions_unless_asked(format):
    with pytest.raises(RankLabError, match="helpfulness and harmfulness preferences would be mixed"):
        check_questions({"helpful", "harmful"}, format=format, options=ExportOptions())
    check_questions({"helpful", "harmful"}, format=format, options=ExportOptions(mix_questions=True))
    check_questions({"harmful"}, format=format, options=ExportOptions())


@pytest.mark.parametrize("format", ["native", "prompt_only", "redteam_pairs"])
def test_formats_that_make_no_preference_of_the_order_take_both_questions(format):
    check_questions({"helpful", "harmful"}, format=format, options=ExportOptions())


def test_a_comparison_ranked_under_both_questions_takes_its_consensus_from_the_turned_rankings():
    mixed = row(
        rankings=[
            {"tiers": [[1], [2], [3]], "flags": {}, "question": "harmful", "attacks": {}},
            {"tiers": [[3], [2], [1]], "flags": {}, "question": "helpful", "attacks": {}},
        ],
        consensus=[[1, 2, 3]],
    )
    [line, *_] = export_lines([mixed], format="trl", options=ExportOptions(mix_questions=True))
    assert oriented(mixed)["consensus"] == [[3], [2], [1]]
    assert line["question"] == "mixed"
