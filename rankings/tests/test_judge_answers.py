"""Reading the judge's replies and making one ranking of its two runs (pure)."""

import pytest

from rankings.judge_answers import (
    DEFAULT_PROMPT,
    UnreadableReply,
    consensus_tiers,
    judge_prompt,
    reply_tiers,
    shown_tiers,
    swap_pairs,
)


@pytest.mark.parametrize(
    ("reply", "count", "tiers"),
    [
        ("Ranking: B > A > C", 3, [[1], [0], [2]]),
        ("ranking: **C = A > B**", 3, [[2, 0], [1]]),
        ("I think the best is B.\nRanking: [B] > [A]", 2, [[1], [0]]),
        ("B, C, A", 3, [[1], [2], [0]]),
        ("Ranking: C > A", 3, [[2], [0], [1]]),
        ("Answer B is better.", 2, [[1], [0]]),
        ("A good answer is B", 2, [[1], [0]]),
        ("They are equally good.", 2, [[0, 1]]),
    ],
)
def test_a_reply_is_read_as_tiers_of_the_positions_shown(reply, count, tiers):
    assert reply_tiers(reply, count=count) == tiers


@pytest.mark.parametrize(
    ("reply", "count"),
    [("", 2), ("I cannot decide.", 2), ("Ranking: A > B > A", 2), ("Ranking: A > D", 3), ("Both A and B are fine", 2)],
)
def test_a_reply_naming_no_ranking_is_unreadable(reply, count):
    with pytest.raises(UnreadableReply):
        reply_tiers(reply, count=count)


def test_positions_become_candidate_ids_in_the_order_shown():
    assert shown_tiers([[1], [0, 2]], [30, 10, 20]) == [[10], [30, 20]]


def test_two_runs_that_agree_give_their_ranking_and_are_consistent():
    pairs = swap_pairs([[1], [2], [3]], [[1], [2], [3]])
    assert all(pair["first"] == pair["second"] for pair in pairs)
    assert consensus_tiers([1, 2, 3], pairs) == [[1], [2], [3]]


def test_a_pair_the_two_runs_order_oppositely_is_tied():
    # The first run prefers 1 > 2 > 3, the reversed run 2 > 1 > 3: 1 and 2 tie, both above 3.
    pairs = swap_pairs([[1], [2], [3]], [[2], [1], [3]])
    assert [(pair["a"], pair["b"], pair["first"], pair["second"]) for pair in pairs] == [
        (1, 2, 1, -1),
        (1, 3, 1, 1),
        (2, 3, 1, 1),
    ]
    assert consensus_tiers([1, 2, 3], pairs) == [[1, 2], [3]]


def test_a_position_preference_that_reverses_the_whole_order_ties_everything():
    pairs = swap_pairs([[1], [2], [3]], [[3], [2], [1]])
    assert consensus_tiers([1, 2, 3], pairs) == [[1, 2, 3]]


def test_the_prompt_fills_its_placeholders_once_and_never_reads_filled_text_as_a_placeholder():
    prompt = judge_prompt(
        DEFAULT_PROMPT,
        conversation=[("user", "Say {answers} please")],
        answers=["first {labels}", "second"],
    )
    assert "User: Say {answers} please" in prompt
    assert "[A]\nfirst {labels}" in prompt
    assert "[B]\nsecond" in prompt
    assert "the labels A, B in order" in prompt
    assert prompt.endswith("Ranking: B > A")


def test_a_long_answer_is_cut_to_fit_a_small_context():
    prompt = judge_prompt("{answers}", conversation=[], answers=["x" * 5000, "y"])
    assert len(prompt) < 1300
